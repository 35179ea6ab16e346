/// Proxy-wide counters, lock-free (relaxed atomics in shared memory): updated by every worker
/// and every fork-model child, read by stats endpoints and the final shutdown line.
public final class ProxyStats: Sendable {
    public let totalRequests: SharedCounter
    public let activeConnections: SharedCounter
    public let acceptedConnections: SharedCounter
    public let rejectedConnections: SharedCounter
    public let upstreamConnectsNew: SharedCounter
    public let upstreamReused: SharedCounter
    public let bytesFromClients: SharedCounter
    public let bytesToClients: SharedCounter
    public let responses2xx: SharedCounter
    public let responses3xx: SharedCounter
    public let responses4xx: SharedCounter
    public let responses5xx: SharedCounter
    /// Idle origin connections in the pool now (a gauge): the sum over every process's pool,
    /// because each pool adds what it parks and subtracts what it gives up (never stores).
    public let upstreamIdle: SharedCounter
    /// Pooled origin connections closed: idle too long, closed by the origin while pooled
    /// (found before reuse), no room in the pool, or still idle when the pool's process ended
    /// (a fork child after its one client connection, or the server shutting down).
    public let upstreamClosedIdleTimeout: SharedCounter
    public let upstreamClosedByOrigin: SharedCounter
    public let upstreamClosedPoolFull: SharedCounter
    public let upstreamClosedOnExit: SharedCounter
    /// Requests answered by the cache, by outcome (the `cache=` field of request_complete):
    /// HIT (fresh), REVALIDATED (origin said 304), STALE (served stale: origin unreachable or
    /// stale-while-revalidate), MISS (looked up, not usable, fetched), BYPASS (not cacheable).
    public let cacheHits: SharedCounter
    public let cacheRevalidated: SharedCounter
    public let cacheStale: SharedCounter
    public let cacheMisses: SharedCounter
    public let cacheBypass: SharedCounter
    /// Responses stored, entries evicted to make room.
    public let cacheStores: SharedCounter
    public let cacheEvictions: SharedCounter
    /// Gauges kept equal to the cache store's own accounting: bytes of the arena in use
    /// (everything stored counts) and entries.
    public let cacheBytes: SharedCounter
    public let cacheEntries: SharedCounter
    public let startedAtNanoseconds: UInt64

    /// The counters' storage: shared memory, so that fork-model children count into the
    /// parent's totals.
    private let block = SharedCounterBlock(capacity: 32)

    public init() {
        startedAtNanoseconds = Sys.monotonicNanoseconds()
        totalRequests = block.next()
        activeConnections = block.next()
        acceptedConnections = block.next()
        rejectedConnections = block.next()
        upstreamConnectsNew = block.next()
        upstreamReused = block.next()
        bytesFromClients = block.next()
        bytesToClients = block.next()
        responses2xx = block.next()
        responses3xx = block.next()
        responses4xx = block.next()
        responses5xx = block.next()
        upstreamIdle = block.next()
        upstreamClosedIdleTimeout = block.next()
        upstreamClosedByOrigin = block.next()
        upstreamClosedPoolFull = block.next()
        upstreamClosedOnExit = block.next()
        cacheHits = block.next()
        cacheRevalidated = block.next()
        cacheStale = block.next()
        cacheMisses = block.next()
        cacheBypass = block.next()
        cacheStores = block.next()
        cacheEvictions = block.next()
        cacheBytes = block.next()
        cacheEntries = block.next()
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
         ("upstream_idle_closed", .int(upstreamClosedIdleTimeout.load(ordering: .relaxed))),
         ("upstream_origin_closed", .int(upstreamClosedByOrigin.load(ordering: .relaxed))),
         ("bytes_out", .int(bytesToClients.load(ordering: .relaxed))),
         ("cache_hits", .int(cacheHits.load() + cacheRevalidated.load() + cacheStale.load())),
         ("cache_misses", .int(cacheMisses.load())), ("cache_stores", .int(cacheStores.load())),
         ("cache_entries", .int(cacheEntries.load())), ("cache_bytes", .int(cacheBytes.load()))]
    }
}
