import Synchronization

/// What every connection of a process shares: configuration, counters and access rules.
public final class EngineContext: Sendable {
    public let config: ProxyConfiguration
    public let stats: ProxyStats
    /// Counts by status, histograms, errors by reason (shared memory, like `stats`).
    public let metrics: RequestMetrics
    public let poolGauges = PoolGauges()
    /// Name resolution for upstream connections; its threads are started by `ProxyServer`.
    public let resolver = ResolverPool()
    /// Idle origin connections shared by every client connection of the process.
    public let upstreamPool: UpstreamPool
    /// `Via: 1.1 <name>\r\n`, added to every forwarded head (built once).
    let viaLine: [UInt8]
    private let draining = Atomic<Bool>(false)

    /// True once shutdown began: idle keep-alive connections close, in-flight ones finish.
    public var isDraining: Bool { draining.load(ordering: .acquiring) }
    public func beginDraining() { draining.store(true, ordering: .releasing) }

    public init(config: ProxyConfiguration, stats: ProxyStats = ProxyStats()) {
        self.config = config
        self.stats = stats
        metrics = RequestMetrics(enabled: config.metricsEnabled)
        upstreamPool = UpstreamPool(config: config, stats: stats)
        viaLine = Array("Via: 1.1 \(config.viaName)\r\n".utf8)
    }

    /// True when `client` matches one of the `--allow` blocks.
    public func isAllowed(_ client: SocketAddress) -> Bool {
        config.allow.contains { $0.contains(client) }
    }

    /// True when `client` matches one of the `--admin-allow` blocks (may read the admin endpoints).
    public func isAdmin(_ client: SocketAddress) -> Bool {
        config.adminAllow.contains { $0.contains(client) }
    }
}
