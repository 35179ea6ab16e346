public import Synchronization

/// Process-wide counters, lock-free (relaxed atomics): updated by every worker, read by stats
/// endpoints and the final shutdown line.
public final class ProxyStats: Sendable {
    public let totalRequests = Atomic<Int>(0)
    public let activeConnections = Atomic<Int>(0)
    public let acceptedConnections = Atomic<Int>(0)
    public let rejectedConnections = Atomic<Int>(0)
    public let upstreamConnectsNew = Atomic<Int>(0)
    public let upstreamReused = Atomic<Int>(0)
    public let bytesFromClients = Atomic<Int>(0)
    public let bytesToClients = Atomic<Int>(0)
    public let responses2xx = Atomic<Int>(0)
    public let responses3xx = Atomic<Int>(0)
    public let responses4xx = Atomic<Int>(0)
    public let responses5xx = Atomic<Int>(0)
    public let startedAtNanoseconds: UInt64

    public init() {
        startedAtNanoseconds = Sys.monotonicNanoseconds()
    }

    func countResponse(status: Int) {
        switch status {
        case 200..<300: responses2xx.add(1, ordering: .relaxed)
        case 300..<400: responses3xx.add(1, ordering: .relaxed)
        case 400..<500: responses4xx.add(1, ordering: .relaxed)
        case 500..<600: responses5xx.add(1, ordering: .relaxed)
        default: break
        }
    }

    /// One-line summary for the shutdown log line.
    public var summaryFields: [(key: String, value: LogValue)] {
        [("total_requests", .int(totalRequests.load(ordering: .relaxed))),
         ("connections", .int(acceptedConnections.load(ordering: .relaxed))),
         ("rejected", .int(rejectedConnections.load(ordering: .relaxed))),
         ("status_2xx", .int(responses2xx.load(ordering: .relaxed))),
         ("status_3xx", .int(responses3xx.load(ordering: .relaxed))),
         ("status_4xx", .int(responses4xx.load(ordering: .relaxed))),
         ("status_5xx", .int(responses5xx.load(ordering: .relaxed))),
         ("upstream_new", .int(upstreamConnectsNew.load(ordering: .relaxed))),
         ("upstream_reused", .int(upstreamReused.load(ordering: .relaxed))),
         ("bytes_out", .int(bytesToClients.load(ordering: .relaxed)))]
    }
}
