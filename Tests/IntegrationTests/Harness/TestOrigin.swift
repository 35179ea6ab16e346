import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The test origin (Tests/Support/origin.py) running on loopback: fixed, chunked, dripping,
/// resetting, huge and echoing responses, and a control port that reports how many data
/// connections it accepted. It exits when its stdin closes, so it never outlives the test.
final class TestOrigin: @unchecked Sendable {
    let child: ChildProcess
    /// Our end of the origin's stdin; closing it stops the origin.
    private var stdinFD: Int32
    /// Port of the HTTP origin.
    let port: UInt16
    /// Port answering "connections=N requests=M".
    let controlPort: UInt16

    init() throws {
        let input = try Spawn.pipe()
        let output: (read: Int32, write: Int32)
        do { output = try Spawn.pipe() } catch { close(input.read); close(input.write); throw error }
        let started: ChildProcess
        do {
            started = try ChildProcess("python3", [BuildLocation.originScript.path], environment: ChildEnvironment.minimal(),
                                       stdin: input.read, stdout: output.write)
        } catch {
            for fd in [input.read, input.write, output.read, output.write] { close(fd) }
            throw error
        }
        close(input.read)
        close(output.write)
        child = started
        stdinFD = input.write
        let line = (try? RawSocket.readLine(output.read, timeoutMs: 15_000)) ?? ""
        close(output.read)
        let parts = line.split(separator: " ")
        guard parts.count == 3, parts[0] == "PORTS", let data = UInt16(parts[1]), let control = UInt16(parts[2]) else {
            close(stdinFD)
            started.kill9()
            throw HarnessError("origin did not report its ports (got \(line.debugDescription))")
        }
        port = data
        controlPort = control
    }

    /// Data connections accepted and requests read so far.
    func counts() throws -> (connections: Int, requests: Int) {
        let client = try TCPClient(port: controlPort)
        let text = String(decoding: try client.readToEnd(timeoutMs: 5_000), as: UTF8.self)
        var values: [String: Int] = [:]
        for pair in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let kv = pair.split(separator: "=")
            if kv.count == 2, let n = Int(kv[1]) { values[String(kv[0])] = n }
        }
        guard let c = values["connections"], let r = values["requests"] else {
            throw HarnessError("bad origin control answer \(text.debugDescription)")
        }
        return (c, r)
    }

    var connectionCount: Int { get throws { try counts().connections } }

    /// `http://127.0.0.1:<port><path>`.
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

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

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
