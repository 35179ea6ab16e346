/// Everything `/_stats`, `/metrics` and the dashboard report, read once from the shared
/// counters (relaxed loads: each number is exact, the set is not one atomic instant).
public struct StatsSnapshot: Sendable {
    public var uptimeSeconds: Double
    public var version: String
    public var model: String
    public var sandbox: String
    public var metricsEnabled: Bool
    /// Request heads parsed (proxied, refused and admin requests alike): the spec's total_requests.
    public var totalRequests: Int
    public var activeConnections: Int
    public var acceptedConnections: Int
    public var rejectedConnections: Int
    public var bytesFromClients: Int
    public var bytesToClients: Int

    public var cacheBytes: Int
    /// The arena's size (`-m`), 0 with the cache off.
    public var cacheCapacityBytes: Int
    /// Shards the arena is cut into, each with its own lock and LRU (`--cache-shards`, or
    /// chosen from `-m`); 0 with the cache off.
    public var cacheShards: Int
    public var cacheEntries: Int
    public var cacheHits: Int
    public var cacheRevalidated: Int
    public var cacheStale: Int
    public var cacheMisses: Int
    public var cacheBypass: Int
    public var cacheStores: Int
    public var cacheEvictions: Int
    /// The spec's hit_rate: hits / (hits + misses), 0 before any lookup.
    public var cacheHitRate: Double { cacheHits + cacheMisses == 0 ? 0 : Double(cacheHits) / Double(cacheHits + cacheMisses) }

    public var poolWorkers: Int
    public var poolActive: Int
    public var poolQueueDepth: Int
    public var poolMaxQueueDepth: Int

    public var upstreamNew: Int
    public var upstreamReused: Int
    public var upstreamIdle: Int
    public var upstreamClosedIdleTimeout: Int
    public var upstreamClosedByOrigin: Int
    public var upstreamClosedPoolFull: Int
    public var upstreamClosedOnExit: Int

    /// Completed requests by status (admin answers excluded); status 0: outside 100...599.
    public var statusCounts: [(status: Int, count: Int)]
    public var errorCounts: [(reason: String, count: Int)]
    public var adminCounts: [(endpoint: AdminEndpoint, count: Int)]
    /// Microseconds.
    public var latency: HistogramSnapshot
    /// Bytes.
    public var responseSize: HistogramSnapshot

    /// Sum of `statusCounts`.
    public var completedRequests: Int { statusCounts.reduce(0) { $0 + $1.count } }

    /// A latency percentile in milliseconds (0 before any request).
    public func latencyMilliseconds(atQuantile q: Double) -> Double {
        Double(latency.value(atQuantile: q) ?? 0) / 1000
    }

    public init(engine: EngineContext, now: UInt64) {
        let s = engine.stats
        let m = engine.metrics
        let config = engine.config
        uptimeSeconds = Double(now &- s.startedAtNanoseconds) / 1e9
        version = PortcullisVersion.string
        model = config.model.rawValue
        sandbox = config.sandboxMode
        metricsEnabled = m.enabled
        totalRequests = s.totalRequests.load()
        activeConnections = s.activeConnections.load()
        acceptedConnections = s.acceptedConnections.load()
        rejectedConnections = s.rejectedConnections.load()
        bytesFromClients = s.bytesFromClients.load()
        bytesToClients = s.bytesToClients.load()
        cacheBytes = s.cacheBytes.load()
        cacheCapacityBytes = engine.cache?.store.capacityBytes ?? 0
        cacheShards = engine.cache?.store.shards.count ?? 0
        cacheEntries = s.cacheEntries.load()
        cacheHits = s.cacheHits.load()
        cacheRevalidated = s.cacheRevalidated.load()
        cacheStale = s.cacheStale.load()
        cacheMisses = s.cacheMisses.load()
        cacheBypass = s.cacheBypass.load()
        cacheStores = s.cacheStores.load()
        cacheEvictions = s.cacheEvictions.load()
        let gauges = engine.poolGauges
        switch config.model {
        case .pool:
            poolWorkers = gauges.workers.load(ordering: .relaxed)
            poolActive = gauges.busyWorkers.load(ordering: .relaxed)
            poolQueueDepth = gauges.queueDepth.load(ordering: .relaxed)
            poolMaxQueueDepth = gauges.maxQueueDepth.load(ordering: .relaxed)
        case .epoll:
            // Event loops; a loop counts as active while it holds a connection.
            poolWorkers = gauges.workers.load(ordering: .relaxed)
            poolActive = gauges.busyWorkers.load(ordering: .relaxed)
            poolQueueDepth = 0
            poolMaxQueueDepth = 0
        case .thread, .fork:
            // A thread or a child per connection.
            poolWorkers = activeConnections
            poolActive = activeConnections
            poolQueueDepth = 0
            poolMaxQueueDepth = 0
        case .iterative:
            poolWorkers = 1
            poolActive = min(activeConnections, 1)
            poolQueueDepth = 0
            poolMaxQueueDepth = 0
        }
        upstreamNew = s.upstreamConnectsNew.load()
        upstreamReused = s.upstreamReused.load()
        upstreamIdle = s.upstreamIdle.load()
        upstreamClosedIdleTimeout = s.upstreamClosedIdleTimeout.load()
        upstreamClosedByOrigin = s.upstreamClosedByOrigin.load()
        upstreamClosedPoolFull = s.upstreamClosedPoolFull.load()
        upstreamClosedOnExit = s.upstreamClosedOnExit.load()
        statusCounts = m.statusCounts()
        errorCounts = m.errorCounts()
        adminCounts = AdminEndpoint.allCases.map { ($0, m.adminCount($0)) }
        latency = m.latency.snapshot()
        responseSize = m.responseSize.snapshot()
    }
}
