import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Python helper server of the tests (Tests/Support/*.py): started with a pipe on its stdin
/// (it exits when the pipe closes, so it never outlives the test) and one line on its stdout
/// announcing its ports.
final class ScriptServer: @unchecked Sendable {
    let child: ChildProcess
    /// Our end of its stdin; closing it stops the server.
    private var stdinFD: Int32
    /// The words of its first stdout line, e.g. ["PORTS", "4100", "4101"].
    let announcement: [Substring]

    /// Starts `python3 script arguments...` and waits up to 15 s for its first line, which must
    /// have `words` words starting with `keyword`.
    init(script: String, arguments: [String] = [], keyword: String, words: Int) throws {
        let input = try Spawn.pipe()
        let output: (read: Int32, write: Int32)
        do { output = try Spawn.pipe() } catch { close(input.read); close(input.write); throw error }
        let started: ChildProcess
        do {
            started = try ChildProcess("python3", [script] + arguments, environment: ChildEnvironment.minimal(),
                                       stdin: input.read, stdout: output.write)
        } catch {
            for fd in [input.read, input.write, output.read, output.write] { close(fd) }
            throw error
        }
        close(input.read)
        close(output.write)
        let line = (try? RawSocket.readLine(output.read, timeoutMs: 15_000)) ?? ""
        close(output.read)
        let parts = line.split(separator: " ")
        guard parts.count == words, parts.first.map(String.init) == keyword else {
            close(input.write)
            started.kill9()
            throw HarnessError("\(script) did not announce \(keyword) (got \(line.debugDescription))")
        }
        child = started
        stdinFD = input.write
        announcement = parts
    }

    /// The announced port at `index` (1 is the first after the keyword).
    func port(_ index: Int) throws -> UInt16 {
        guard let port = UInt16(announcement[index]) else {
            stop()
            throw HarnessError("bad port in \(announcement)")
        }
        return port
    }

    /// Closes its stdin (it exits on EOF); kills it if it is still there after 3 s.
    func stop() {
        if stdinFD >= 0 {
            close(stdinFD)
            stdinFD = -1
        }
        if child.wait(seconds: 3) == nil { child.kill9() }
    }

    deinit { stop() }
}
