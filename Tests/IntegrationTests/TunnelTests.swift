import Foundation
import Testing

/// CONNECT tunnels end to end: real curl speaking TLS through the proxy to a local TLS origin.
@Suite("CONNECT tunnels")
struct TunnelTests {
    @Test("curl -x ... -k https:// through a tunnel: bodies byte for byte, several requests on one tunnel",
          arguments: Harness.models)
    func httpsThroughATunnel(model: String) throws {
        let scratch = try TemporaryDirectory("tls")
        defer { scratch.remove() }
        let tls = try TLSOrigin(directory: scratch)
        defer { tls.stop() }
        let h = try Harness(model: model, options: ["--connect-ports", "\(tls.port)"])
        defer { h.finish() }
        let sizes = [0, 1, 70_000, 1_000_000]
        let result = try Curl.fetch(sizes.map { tls.url("/fixed/\($0)") }, proxyPort: h.proxy.port, options: ["-k"], in: h.directory)
        #expect(result.succeeded, "\(model): \(result.stderr)")
        #expect(result.connectionsOpened == 1, "\(model): one tunnel carries every request")
        for (size, transfer) in zip(sizes, result.transfers) {
            #expect(transfer.status == 200)
            #expect(BodyPattern.firstMismatch(file: transfer.bodyFile, expected: size) == nil, "\(model) /fixed/\(size)")
        }
        #expect(h.proxy.waitForLog { $0.contains("] tunnel_closed ") }, "\(model): the tunnel closes when curl leaves")
        let closed = h.proxy.records("tunnel_closed")
        #expect(closed.first?.fields["reason"] == nil, "\(model): orderly close, \(closed.first?.fields ?? [:])")
        #expect(h.proxy.records("request_complete").first?.fields["status"] == "200")
    }

    @Test("CONNECT to a port not in --connect-ports gets 403 and no connection", arguments: ["pool", "epoll"])
    func deniedPort(model: String) throws {
        let scratch = try TemporaryDirectory("tls")
        defer { scratch.remove() }
        let tls = try TLSOrigin(directory: scratch)
        defer { tls.stop() }
        let h = try Harness(model: model) // default: 443 only
        defer { h.finish() }
        let result = try Curl.fetch(tls.url("/fixed/10"), proxyPort: h.proxy.port, options: ["-k"], in: h.directory)
        #expect(!result.succeeded)
        #expect(result.stderr.contains("403"), "\(model): \(result.stderr)")
        #expect(h.proxy.waitForLog { $0.contains("] connect_denied ") })
    }

    /// The plain TCP origin of Tests/Support/count_origin.py (answers after the client's EOF).
    static func countOrigin() throws -> ScriptServer {
        try ScriptServer(script: BuildLocation.repositoryRoot.appendingPathComponent("Tests/Support/count_origin.py").path,
                         keyword: "PORT", words: 2)
    }

    /// Sends `CONNECT 127.0.0.1:<port>` and reads the proxy's answer head.
    static func openTunnel(_ h: Harness, to port: UInt16) throws -> (client: TCPClient, head: String) {
        let client = try h.connect()
        try client.send("CONNECT 127.0.0.1:\(port) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n")
        var head: [UInt8] = []
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            let piece = try client.receive(max: 1, timeoutMs: 5_000)
            if piece.isEmpty { break }
            head += piece
        }
        return (client, String(decoding: head, as: UTF8.self))
    }

    @Test("Half-close end to end: the client's EOF reaches the origin, whose answer still comes back",
          arguments: Harness.models)
    func halfCloseEndToEnd(model: String) throws {
        let origin = try Self.countOrigin()
        defer { origin.stop() }
        let port = try origin.port(1)
        let h = try Harness(model: model, options: ["--connect-ports", "\(port)"])
        defer { h.finish() }
        let (client, head) = try Self.openTunnel(h, to: port)
        defer { client.close() }
        #expect(head.hasPrefix("HTTP/1.1 200 "), "\(model): \(head)")
        try client.send(String(repeating: "x", count: 70_000))
        client.shutdownWrite()
        let answer = String(decoding: try client.readToEnd(timeoutMs: 10_000), as: UTF8.self)
        #expect(answer == "received 70000 bytes\n", "\(model): \(answer.debugDescription)")
        #expect(h.proxy.waitForLog { $0.contains("] tunnel_closed ") })
        #expect(h.proxy.records("tunnel_closed").first?.fields["reason"] == nil, "orderly close")
    }

    @Test("A tunnel idle for --tunnel-idle-timeout is closed", arguments: Harness.models)
    func idleTunnelCloses(model: String) throws {
        let origin = try Self.countOrigin()
        defer { origin.stop() }
        let port = try origin.port(1)
        let h = try Harness(model: model, options: ["--connect-ports", "\(port)", "--tunnel-idle-timeout", "600"])
        defer { h.finish() }
        let (client, head) = try Self.openTunnel(h, to: port)
        defer { client.close() }
        #expect(head.hasPrefix("HTTP/1.1 200 "), "\(model): \(head)")
        let started = Clock.nowMs()
        let rest = try client.readToEnd(timeoutMs: 8_000)
        let elapsed = Clock.nowMs() - started
        #expect(rest.isEmpty && elapsed >= 500 && elapsed < 5_000, "\(model): closed after \(elapsed) ms, \(rest.count) bytes")
        #expect(h.proxy.waitForLog { $0.contains("] tunnel_closed ") && $0.contains("idle timeout") }, "\(h.proxy.log)")
    }

    @Test("CONNECT from a client outside --allow gets 403 and opens nothing", arguments: ["thread", "epoll", "fork"])
    func deniedClient(model: String) throws {
        let origin = try Self.countOrigin()
        defer { origin.stop() }
        let port = try origin.port(1)
        let h = try Harness(model: model, options: ["--connect-ports", "\(port)", "--allow", "10.0.0.0/8"])
        defer { h.finish() }
        let (client, head) = try Self.openTunnel(h, to: port)
        defer { client.close() }
        #expect(head.hasPrefix("HTTP/1.1 403 "), "\(model): \(head)")
        #expect(h.proxy.waitForLog { $0.contains("] client_denied ") })
        #expect(h.proxy.records("tunnel_open").isEmpty && h.proxy.records("server_connect").isEmpty, "\(h.proxy.log)")
    }
}
