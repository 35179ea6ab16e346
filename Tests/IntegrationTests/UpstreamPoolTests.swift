import Foundation
import Testing

/// The shared pool of idle origin connections, end to end.
@Suite("Upstream connection pool")
struct UpstreamPoolTests {
    @Test("A new client connection reuses the origin connection an earlier client left idle", arguments: Harness.models)
    func reuseAcrossClients(model: String) throws {
        guard model != "fork" else { return } // a child's pool ends with its one connection
        let h = try Harness(model: model)
        defer { h.finish() }
        for i in 0..<3 {
            let result = try h.curl("/fixed/\(1000 + i)")
            #expect(result.succeeded)
            #expect(h.proxy.waitForCompleted(i + 1))
        }
        let upstreams = h.proxy.records("request_complete").compactMap { $0.fields["upstream"] }
        #expect(upstreams == ["new", "reused", "reused"], "\(model): \(upstreams)")
        #expect(try h.origin.connectionCount == 1)
    }

    @Test("A pooled connection the origin closed is detected before reuse; the request goes out on a new one",
          arguments: ["thread", "pool", "epoll"])
    func originClosedWhilePooled(model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        #expect(try h.curl("/fixed/10?idle-close=100").succeeded)
        usleep(400_000) // the origin closes its side while the connection waits in the pool
        let again = try h.curl("/fixed/20")
        #expect(again.succeeded && again.transfers.first?.status == 200)
        #expect(h.proxy.waitForCompleted(2))
        let upstreams = h.proxy.records("request_complete").compactMap { $0.fields["upstream"] }
        #expect(upstreams == ["new", "new"], "\(model): \(upstreams)")
        #expect(try h.origin.connectionCount == 2)
        #expect(h.proxy.records("request_aborted").isEmpty && h.proxy.records("server_closed").isEmpty)
    }

    @Test("Pooled connections idle past --upstream-idle-timeout are closed", arguments: ["pool", "epoll"])
    func idleTimeout(model: String) throws {
        let h = try Harness(model: model, options: ["--upstream-idle-timeout", "300"])
        defer { h.finish() }
        #expect(try h.curl("/fixed/10").succeeded)
        usleep(1_600_000) // past the timeout and a maintenance tick
        #expect(try h.curl("/fixed/10").succeeded)
        #expect(h.proxy.waitForCompleted(2))
        let upstreams = h.proxy.records("request_complete").compactMap { $0.fields["upstream"] }
        #expect(upstreams == ["new", "new"], "\(model): \(upstreams)")
        _ = h.proxy.stop()
        let summary = h.proxy.records("shutdown_complete").first?.fields ?? [:]
        #expect(summary["upstream_idle_closed"] == "1", "\(summary)")
    }

    @Test("--upstream-keepalive 0 turns the pool off", arguments: ["pool", "epoll"])
    func poolOff(model: String) throws {
        let h = try Harness(model: model, options: ["--upstream-keepalive", "0"])
        defer { h.finish() }
        #expect(try h.curl("/fixed/10").succeeded)
        #expect(try h.curl("/fixed/10").succeeded)
        #expect(try h.origin.connectionCount == 2)
    }
}
