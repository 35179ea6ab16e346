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
}
