import Foundation
import Testing

/// The epoll model at scale: many idle connections cost little memory and do not slow down
/// the connections that are working.
@Suite("epoll at scale")
struct EpollScaleTests {
    static let idleConnections = 10_000

    @Test("10,000 idle connections: at most 1 KiB of RSS each, and a new request is answered promptly")
    func tenThousandIdleConnections() throws {
        let count = Self.idleConnections
        let limit = ResourceLimits.raiseOpenFiles(to: count + 1_000)
        try #require(limit >= count + 1_000, "open-file limit \(limit) is too low for \(count) connections")
        let h = try Harness(model: "epoll", options: ["-t", "2", "--max-connections", String(count + 100)])
        defer { h.finish() }
        #expect(try h.curl("/fixed/1024").succeeded)
        let before = try #require(h.proxy.statusKiB("VmRSS"))

        var idle: [TCPClient] = []
        idle.reserveCapacity(count)
        for _ in 0..<count { idle.append(try h.connect()) }
        // Every connection accepted: the proxy holds a descriptor for each.
        let deadline = Clock.nowMs() + 30_000
        while h.proxy.openDescriptors().count < count && Clock.nowMs() < deadline { usleep(50_000) }
        #expect(h.proxy.openDescriptors().count >= count)
        usleep(2_500_000) // two idle sweeps
        let after = try #require(h.proxy.statusKiB("VmRSS"))
        let perConnection = (after - before) * 1024 / count
        print("epoll: \(count) idle connections, RSS \(before) KiB -> \(after) KiB, \(perConnection) bytes each")
        if !BuildLocation.isSanitized {
            #expect(perConnection <= 1024, "RSS per idle connection: \(perConnection) bytes")
        }

        // New work is served at once, beside the idle crowd.
        let started = Clock.nowMs()
        let fresh = try h.curl("/fixed/4096")
        let elapsed = Clock.nowMs() - started
        #expect(fresh.succeeded && fresh.transfers.first?.status == 200)
        #expect(elapsed < (BuildLocation.isSanitized ? 5_000 : 1_000), "request took \(elapsed) ms")
        // Idle connections are still served when they wake up.
        for client in idle.prefix(20) {
            try client.send(h.get("/fixed/100"))
            // Read the whole response: under the faulty-I/O run the proxy's sends may be short.
            let reply = try HTTPReader(client).next(timeoutMs: 5_000)
            #expect(reply.status == 200 && reply.body.count == 100, "\(reply.statusLine), \(reply.body.count) body bytes")
        }
        for client in idle { client.close() }
    }
}
