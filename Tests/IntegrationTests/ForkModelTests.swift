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
