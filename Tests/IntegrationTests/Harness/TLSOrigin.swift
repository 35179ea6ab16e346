import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The TLS origin (Tests/Support/tls_origin.py) on loopback, with a throwaway self-signed
/// certificate, for CONNECT tunnels. It exits when its stdin closes.
final class TLSOrigin: @unchecked Sendable {
    let child: ChildProcess
    private var stdinFD: Int32
    let port: UInt16

    init(directory: TemporaryDirectory) throws {
        let input = try Spawn.pipe()
        let output: (read: Int32, write: Int32)
        do { output = try Spawn.pipe() } catch { close(input.read); close(input.write); throw error }
        let started: ChildProcess
        do {
            let script = BuildLocation.repositoryRoot.appendingPathComponent("Tests/Support/tls_origin.py").path
            started = try ChildProcess("python3", [script, directory.url.path], environment: ChildEnvironment.minimal(),
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
        guard parts.count == 2, parts[0] == "PORT", let port = UInt16(parts[1]) else {
            close(stdinFD)
            started.kill9()
            throw HarnessError("TLS origin did not report its port (got \(line.debugDescription))")
        }
        self.port = port
    }

    /// `https://127.0.0.1:<port><path>`.
    func url(_ path: String) -> String { "https://127.0.0.1:\(port)\(path)" }

    func stop() {
        if stdinFD >= 0 {
            close(stdinFD)
            stdinFD = -1
        }
        if child.wait(seconds: 3) == nil { child.kill9() }
    }

    deinit { stop() }
}
