import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The pool of idle origin connections, end to end. The epoll driver keeps one per event loop
/// (a client reuses what earlier clients of its loop left), so the tests that follow one
/// connection from a client to the next run it with one loop (`oneLoop`); the caps hold for
/// the process whatever the loop count.
@Suite("Upstream connection pool")
struct UpstreamPoolTests {
    /// `-t 1` for epoll: one event loop, hence one pool, whichever loop a client lands on.
    static func oneLoop(_ model: String) -> [String] {
        model == "epoll" ? ["-t", "1"] : []
    }

    @Test("A new client connection reuses the origin connection an earlier client left idle", arguments: Harness.models)
    func reuseAcrossClients(model: String) throws {
        guard model != "fork" else { return } // a child's pool ends with its one connection
        let h = try Harness(model: model, options: Self.oneLoop(model))
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
        // The dead one was counted as closed by the origin; the new one waits in the pool.
        let pool = try Self.poolStats(h) { $0["idle"] == 1 }
        #expect(pool["closed_by_origin"] == 1 && pool["idle"] == 1, "\(model): \(pool)")
    }

    /// `/_stats` `upstream_pool`, asked again (up to 5 s) until `ready` holds: a client's
    /// close reaches the proxy a little after curl has returned.
    static func poolStats(_ h: Harness, until ready: ([String: Int]) -> Bool) throws -> [String: Int] {
        let deadline = Clock.nowMs() + 5_000
        while true {
            let body = try ObservabilityTests.admin(h, "/_stats").body
            let pool = try #require(try ObservabilityTests.json(body)["upstream_pool"] as? [String: Int], "\(body)")
            if ready(pool) || Clock.nowMs() >= deadline { return pool }
            usleep(20_000)
        }
    }

    @Test("--upstream-keepalive 1: a second idle connection to the origin closes the older one (closed_pool_full)",
          arguments: ["thread", "epoll"])
    func perHostCap(model: String) throws {
        let h = try Harness(model: model, options: ["--upstream-keepalive", "1"] + Self.oneLoop(model))
        defer { h.finish() }
        // Two clients at once hold two origin connections; each is parked when its client leaves.
        let clients = [try h.connect(), try h.connect()]
        for client in clients {
            try client.send(h.get("/fixed/10"))
            #expect(try HTTPReader(client).next().status == 200)
        }
        #expect(try h.origin.connectionCount == 2)
        clients[0].close()
        _ = try Self.poolStats(h) { $0["idle"] == 1 }
        clients[1].close()
        let pool = try Self.poolStats(h) { $0["closed_pool_full"] == 1 }
        #expect(pool["closed_pool_full"] == 1 && pool["idle"] == 1, "\(model): \(pool)")
        // The survivor is the newer one, and it is reused.
        #expect(try h.curl("/fixed/20").succeeded)
        #expect(try h.origin.connectionCount == 2)
        #expect(h.proxy.waitForLog { $0.components(separatedBy: " upstream=").count - 1 >= 3 }, "admin requests log no upstream")
        #expect(h.proxy.records("request_complete").compactMap { $0.fields["upstream"] } == ["new", "new", "reused"])
    }

    @Test("--upstream-keepalive-total 1: with one connection parked, an idle one to another origin is closed (closed_pool_full)",
          arguments: ["thread", "epoll"])
    func totalCap(model: String) throws {
        let h = try Harness(model: model, options: ["--upstream-keepalive-total", "1"] + Self.oneLoop(model))
        defer { h.finish() }
        #expect(try h.curl("/fixed/10").succeeded)
        _ = try Self.poolStats(h) { $0["idle"] == 1 }
        // The same server by another name is another origin for the pool.
        let other = try Curl.fetch("http://localhost:\(h.origin.port)/fixed/20", proxyPort: h.proxy.port, in: h.directory)
        #expect(other.transfers.map(\.status) == [200], "\(other.stderr)")
        let pool = try Self.poolStats(h) { $0["closed_pool_full"] == 1 }
        #expect(pool["closed_pool_full"] == 1 && pool["idle"] == 1, "\(model): \(pool)")
        // The first origin's connection stayed parked and is reused.
        #expect(try h.curl("/fixed/30").succeeded)
        #expect(try h.origin.connectionCount == 2)
        #expect(h.proxy.waitForLog { $0.components(separatedBy: " upstream=").count - 1 >= 3 }, "admin requests log no upstream")
        #expect(h.proxy.records("request_complete").compactMap { $0.fields["upstream"] } == ["new", "new", "reused"])
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

    @Test("A GET that fails on a pooled connection before any answer is retried once, on a new connection even with another one pooled; failing again it gets 502",
          arguments: ["thread", "epoll"])
    func retryGoesToANewConnectionOnce(model: String) throws {
        let h = try Harness(model: model, options: Self.oneLoop(model))
        defer { h.finish() }
        // Two clients at once leave two origin connections in the pool.
        let clients = [try h.connect(), try h.connect()]
        for client in clients {
            try client.send(h.get("/fixed/10"))
            #expect(try HTTPReader(client).next().status == 200)
        }
        for client in clients { client.close() }
        _ = try Self.poolStats(h) { $0["idle"] == 2 }
        // The origin hangs up on this request without a byte, on every connection.
        let failed = try h.curl("/hangup")
        #expect(failed.transfers.map(\.status) == [502], "\(failed.stderr)")
        #expect(h.proxy.waitForLog { $0.components(separatedBy: " upstream=").count - 1 >= 3 })
        let counts = try h.origin.counts()
        #expect(counts.requests == 4, "two /fixed, the /hangup and exactly one retry: \(counts)")
        #expect(counts.connections == 3, "the retry opened a new connection instead of taking the other pooled one: \(counts)")
        #expect(h.proxy.records("server_connect").filter { $0.fields["retry"] == "1" }.count == 1)
        let last = h.proxy.records("request_complete").last { $0.fields["status"] == "502" }
        #expect(last?.fields["upstream"] == "new", "\(String(describing: last))")
        let pool = try Self.poolStats(h) { $0["idle"] == 1 }
        #expect(pool["idle"] == 1 && pool["reused"] == 1 && pool["new_connections"] == 3, "\(model): \(pool)")
    }

    @Test("epoll: a parked connection the origin closes is noticed by its loop with no request to reuse it (closed_by_origin, idle 0)")
    func parkedConnectionClosedByOriginIsNoticed() throws {
        // Idle timeout far away: only the origin's close can empty the pool.
        let h = try Harness(model: "epoll", options: ["-t", "1", "--upstream-idle-timeout", "600000"])
        defer { h.finish() }
        #expect(try h.curl("/fixed/10?idle-close=1000").succeeded)
        let parked = try Self.poolStats(h) { $0["idle"] == 1 }
        #expect(parked["idle"] == 1 && parked["closed_by_origin"] == 0, "\(parked)")
        // The origin closes its side 1 s later; nothing is sent through the proxy meanwhile.
        let pool = try Self.poolStats(h) { $0["closed_by_origin"] == 1 }
        #expect(pool["closed_by_origin"] == 1 && pool["idle"] == 0 && pool["closed_idle_timeout"] == 0, "\(pool)")
        // The next request opens a new connection and leaves it parked in turn.
        #expect(try h.curl("/fixed/20").succeeded)
        #expect(h.proxy.waitForLog { $0.components(separatedBy: " upstream=").count - 1 >= 2 }, "admin requests log no upstream")
        #expect(h.proxy.records("request_complete").compactMap { $0.fields["upstream"] } == ["new", "new"])
        #expect(try h.origin.connectionCount == 2)
    }

    @Test("epoll with two loops: --upstream-keepalive 1 holds for the process; each further idle connection is closed (closed_pool_full)")
    func capsHoldAcrossLoops() throws {
        let h = try Harness(model: "epoll", options: ["-t", "2", "--upstream-keepalive", "1"])
        defer { h.finish() }
        // Four clients at once hold four origin connections, on whichever loops they land.
        let clients = try (0..<4).map { _ in try h.connect() }
        for client in clients {
            try client.send(h.get("/fixed/10"))
            #expect(try HTTPReader(client).next().status == 200)
        }
        #expect(try h.origin.connectionCount == 4)
        for client in clients { client.close() }
        let pool = try Self.poolStats(h) { $0["closed_pool_full"] == 3 }
        #expect(pool["closed_pool_full"] == 3 && pool["idle"] == 1, "\(pool)")
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
