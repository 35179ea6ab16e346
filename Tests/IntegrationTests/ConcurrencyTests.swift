import Foundation
import Testing

/// Many clients at once through the multi-threaded models. This suite is the one the TSan run
/// (scripts/test-all) exists for: there the proxy under test is the ThreadSanitizer build,
/// and `ProxyUnderTest.finish()` fails the test on any sanitizer report or a non-zero exit.
@Suite("Concurrency")
struct ConcurrencyTests {
    /// 200 clients, each two requests on its connection, bodies of varied framing and size.
    static func plans(_ count: Int) -> [ClientLoad.Plan] {
        (0..<count).map { i in
            let size = 1 + (i * 7919) % 40_000
            return ClientLoad.Plan(requests: [("/fixed/\(size)", size), ("/chunked/\(i * 13)", i * 13)])
        }
    }

    @Test("200 concurrent clients through pool, thread and epoll, every response checked",
          arguments: [("pool", ["-t", "8", "--queue-capacity", "512"]), ("thread", []), ("epoll", ["-t", "2"])])
    func twoHundredClients(model: String, options: [String]) throws {
        let clients = 200
        // Room in the upstream pool for every client's connection: a slow run (a sanitizer)
        // lets the idle sweep park them there between a client's two requests, and the
        // default 8 per origin would close most of them instead of reusing them.
        let h = try Harness(model: model, options: options + ["--upstream-keepalive", "256"])
        defer { h.finish() }
        let outcome = ClientLoad.run(Self.plans(clients), proxyPort: h.proxy.port, originPort: h.origin.port)
        let result = outcome.snapshot
        #expect(result.failures.isEmpty, "\(model): \(result.failures.count) failures, first: \(result.failures.prefix(5))")
        #expect(result.responses == clients * 2)
        #expect(h.proxy.waitForCompleted(clients * 2, seconds: 30))
        let statuses = h.proxy.records("request_complete").compactMap { $0.fields["status"] }
        #expect(statuses.count == clients * 2 && statuses.allSatisfy { $0 == "200" })
        let reused = h.proxy.records("request_complete").filter { $0.fields["upstream"] == "reused" }.count
        #expect(reused >= clients, "each client's second request reuses an upstream connection (\(reused) reused)")
        let opened = try h.origin.connectionCount
        #expect(opened == clients * 2 - reused, "origin connections \(opened), reused \(reused)")
    }

    @Test("The iterative model serves 20 waiting clients one after another")
    func iterativeQueue() throws {
        let h = try Harness(model: "iterative")
        defer { h.finish() }
        let outcome = ClientLoad.run(Self.plans(20), proxyPort: h.proxy.port, originPort: h.origin.port)
        let result = outcome.snapshot
        #expect(result.failures.isEmpty, "\(result.failures.prefix(5))")
        #expect(result.responses == 40)
    }
}
