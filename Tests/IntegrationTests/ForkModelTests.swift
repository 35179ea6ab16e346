import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The fork model: a single-threaded parent, a process per connection, reaped at once.
@Suite("Fork model")
struct ForkModelTests {
    /// Threads of a process, from /proc/<pid>/task.
    static func threadCount(_ pid: Int32) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []).count
    }

    @Test("The parent stays single-threaded; each connection is served by its own child, which logs as child-<pid>")
    func singleThreadedParent() throws {
        let h = try Harness(model: "fork")
        defer { h.finish() }
        #expect(Self.threadCount(h.proxy.pid) == 1)
        let result = try h.curl(["/fixed/1000", "/chunked/5000"])
        #expect(result.succeeded)
        let second = try h.curl("/fixed/10")
        #expect(second.succeeded)
        #expect(h.proxy.waitForCompleted(3))
        #expect(Self.threadCount(h.proxy.pid) == 1, "the parent started a thread")
        let threads = h.proxy.records("request_complete").map(\.thread)
        #expect(threads.count == 3 && threads.allSatisfy { $0.hasPrefix("child-") }, "\(threads)")
        #expect(Set(threads).count == 2, "one child per connection: \(threads)")
        // Children are reaped as they exit: no zombie, no child left.
        let deadline = Clock.nowMs() + 5_000
        while !h.proxy.childStates().isEmpty && Clock.nowMs() < deadline { usleep(20_000) }
        #expect(h.proxy.childStates().isEmpty, "\(h.proxy.childStates())")
    }

    @Test("Over --max-connections live children a connection gets 503 with Retry-After")
    func childCap() throws {
        let h = try Harness(model: "fork", options: ["--max-connections", "2", "--response-timeout", "5000"])
        defer { h.finish() }
        var busy: [TCPClient] = []
        for i in 0..<2 {
            let client = try h.connect()
            // Distinct URLs: two requests for one URL would wait for one fill (stampede protection).
            try client.send(h.get("/slow-head?client=\(i)"))
            busy.append(client)
        }
        #expect(h.proxy.waitForLog { $0.components(separatedBy: "] server_connect ").count - 1 == 2 })
        let extra = try h.connect()
        let reply = String(decoding: try extra.readToEnd(timeoutMs: 5_000), as: UTF8.self)
        #expect(reply.hasPrefix("HTTP/1.1 503 ") && reply.contains("Retry-After: 1\r\n"), "\(reply.prefix(120))")
        for client in busy { client.close() }
        // Once the busy children are gone, connections are served again.
        let deadline = Clock.nowMs() + 10_000
        while !h.proxy.childStates().isEmpty && Clock.nowMs() < deadline { usleep(20_000) }
        #expect(try h.curl("/fixed/100").succeeded)
    }

    @Test("A child's idle origin connections are closed and counted when it exits: /_stats upstream_pool.idle returns to 0")
    func childPoolDrainedAtExit() throws {
        let h = try Harness(model: "fork")
        defer { h.finish() }
        // Each curl is one client connection; when it closes, its child parks the keep-alive
        // origin connection in its own pool, then exits.
        for i in 0..<3 {
            #expect(try h.curl("/fixed/\(100 + i)").succeeded)
        }
        #expect(h.proxy.waitForCompleted(3))
        let deadline = Clock.nowMs() + 5_000
        while !h.proxy.childStates().isEmpty && Clock.nowMs() < deadline { usleep(20_000) }
        #expect(h.proxy.childStates().isEmpty, "children still running: \(h.proxy.childStates())")
        let (status, body) = try ObservabilityTests.admin(h, "/_stats")
        #expect(status == 200)
        let upstream = try #require(try ObservabilityTests.json(body)["upstream_pool"] as? [String: Int], "\(body)")
        #expect(upstream["idle"] == 0, "no child is alive, so nothing is idle: \(upstream)")
        #expect(upstream["new_connections"] == 3, "\(upstream)")
        #expect(upstream["closed_on_exit"] == 3, "each child closed its parked connection on exit: \(upstream)")
        #expect(try h.origin.connectionCount == 3)
    }

    @Test("A child killed with an origin connection in its pool cannot give it back; once no child lives, idle is 0 again")
    func killedChildPoolShare() throws {
        let h = try Harness(model: "fork")
        defer { h.finish() }
        let victim = try h.connect()
        try victim.send(h.get("/fixed/10"))
        #expect(try HTTPReader(victim).next().status == 200)
        // Another origin (the same server by another name) on the same client connection: the
        // first origin connection is parked in the child's pool meanwhile.
        try victim.send("GET http://localhost:\(h.origin.port)/slow-head HTTP/1.1\r\nHost: localhost:\(h.origin.port)\r\n\r\n")
        #expect(h.proxy.waitForLog { $0.components(separatedBy: "] server_connect ").count - 1 == 2 })
        let parked = try UpstreamPoolTests.poolStats(h) { $0["idle"] == 1 }
        #expect(parked["idle"] == 1, "\(parked)")
        let served = h.proxy.records("request_complete").filter { $0.fields["upstream"] != nil }.map(\.thread)
        let pid = try #require(served.first.flatMap { Int32($0.dropFirst("child-".count)) }, "\(served)")
        kill(pid, SIGKILL)
        #expect(try victim.readToEnd(timeoutMs: 5_000).isEmpty, "the client sees the connection end")
        let deadline = Clock.nowMs() + 5_000
        while !h.proxy.childStates().isEmpty && Clock.nowMs() < deadline { usleep(10_000) }
        let after = try UpstreamPoolTests.poolStats(h) { $0["idle"] == 0 }
        #expect(after["idle"] == 0, "\(after)")
    }

    @Test("A child killed while it fills a URL does not wedge it: the next client is answered at once, the one after from the cache")
    func killedFillerDoesNotWedgeTheURL() throws {
        let h = try Harness(model: "fork")
        defer { h.finish() }
        let delayMs = 800
        let path = "/cacheable/3000?cc=max-age%3D60&delay=\(delayMs)"
        let victim = try h.connect()
        try victim.send(h.get(path))
        // The origin has the request and is still delaying: the child holds the fill claim.
        let seen = Clock.nowMs() + 5_000
        while try h.origin.counts().requests < 1 && Clock.nowMs() < seen { usleep(10_000) }
        let children = h.proxy.childStates()
        try #require(children.count == 1)
        kill(Int32(children[0].pid), SIGKILL)
        #expect(try victim.readToEnd(timeoutMs: 5_000).isEmpty, "the client sees the connection end")
        let reaped = Clock.nowMs() + 5_000
        while !h.proxy.childStates().isEmpty && Clock.nowMs() < reaped { usleep(10_000) }

        // Waiting on the dead child's claim would take the whole 5 s stampede bound; fetching
        // at once takes the origin's delay and little more.
        let started = Clock.nowMs()
        let next = try CacheTests.fetch(h, path)
        let elapsed = Clock.nowMs() - started
        #expect(next.status == 200 && next.value("X-Proxy-Cache") == "MISS", "\(next.rawHead)")
        #expect(BodyPattern.firstMismatch(next.body, expected: 3000) == nil)
        #expect(elapsed >= delayMs && elapsed < delayMs + 1_500, "answered after \(elapsed) ms")
        #expect(h.proxy.records("cache_wait_timeout").isEmpty)

        let third = try CacheTests.fetch(h, path)
        #expect(third.status == 200 && third.value("X-Proxy-Cache") == "HIT", "\(third.rawHead)")
        #expect(BodyPattern.firstMismatch(third.body, expected: 3000) == nil)
        #expect(try h.origin.counts().requests == 2, "the killed child's request and the refetch")
    }

    @Test("A child killed mid-request is reaped; other connections and the parent carry on")
    func killedChild() throws {
        let h = try Harness(model: "fork")
        defer { h.finish() }
        let victim = try h.connect()
        try victim.send(h.get("/slow-head"))
        #expect(h.proxy.waitForLog { $0.contains("] server_connect ") })
        let children = h.proxy.childStates()
        try #require(children.count == 1)
        kill(Int32(children[0].pid), SIGKILL)
        #expect(try victim.readToEnd(timeoutMs: 5_000).isEmpty, "the client sees the connection end")
        let deadline = Clock.nowMs() + 5_000
        while !h.proxy.childStates().isEmpty && Clock.nowMs() < deadline { usleep(20_000) }
        #expect(h.proxy.childStates().isEmpty, "killed child not reaped: \(h.proxy.childStates())")
        let after = try h.curl("/fixed/2048")
        #expect(after.succeeded && after.transfers.first?.status == 200)
    }
}
