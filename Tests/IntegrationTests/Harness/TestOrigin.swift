import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The test origin (Tests/Support/origin.py) running on loopback: fixed, chunked, dripping,
/// resetting, huge and echoing responses, and a control port that reports how many data
/// connections it accepted. It exits when its stdin closes, so it never outlives the test.
final class TestOrigin: @unchecked Sendable {
    private let server: ScriptServer
    /// Port of the HTTP origin.
    let port: UInt16
    /// Port answering "connections=N requests=M".
    let controlPort: UInt16

    init() throws {
        let server = try ScriptServer(script: BuildLocation.originScript.path, keyword: "PORTS", words: 3)
        self.server = server
        port = try server.port(1)
        controlPort = try server.port(2)
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

    /// Stops the server (it exits when its stdin closes).
    func stop() { server.stop() }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
