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
    /// The shared response cache (nil when `-m 0`). Its store is one MAP_SHARED arena made
    /// here, before any fork, so fork-model children share it.
    public let cache: ResponseCache?
    /// The seccomp sandbox each driver thread enters as it starts.
    public let sandbox: Sandbox
    /// `Via: 1.1 <name>\r\n`, added to every forwarded head (built once).
    let viaLine: [UInt8]
    /// Wall-clock seconds at `monotonicBase` (cache ages and HTTP dates are wall-clock; the
    /// machine's `now` is monotonic, so wall time is derived from it: steady under clock steps).
    private let wallBase: Int64
    private let monotonicBase: UInt64
    /// False when the tests or a fuzz target script the clocks: then only event times count.
    private let readsSystemClock: Bool
    private let draining = Atomic<Bool>(false)

    /// True once shutdown began: idle keep-alive connections close, in-flight ones finish.
    public var isDraining: Bool { draining.load(ordering: .acquiring) }
    public func beginDraining() { draining.store(true, ordering: .releasing) }

    /// `wallClock` pins the wall-clock second at monotonic time `monotonicNow` (tests script
    /// both); by default the system clocks.
    public init(config: ProxyConfiguration, stats: ProxyStats = ProxyStats(), sandbox: Sandbox? = nil,
                wallClock: (seconds: Int64, monotonicNow: UInt64)? = nil) {
        self.config = config
        self.sandbox = sandbox ?? Sandbox(mode: config.sandbox, testViolation: config.sandboxTestViolation)
        self.stats = stats
        readsSystemClock = wallClock == nil
        if let wallClock {
            wallBase = wallClock.seconds
            monotonicBase = wallClock.monotonicNow
        } else {
            wallBase = Int64(Sys.wallClock().seconds)
            monotonicBase = Sys.monotonicNanoseconds()
        }
        cache = ResponseCache.make(config: config)
        metrics = RequestMetrics(enabled: config.metricsEnabled)
        upstreamPool = UpstreamPool(config: config, stats: stats)
        viaLine = Array("Via: 1.1 \(config.viaName)\r\n".utf8)
    }

    /// Wall-clock seconds at monotonic time `now` (nanoseconds).
    func wallSeconds(_ now: UInt64) -> Int64 {
        now >= monotonicBase ? wallBase + Int64((now - monotonicBase) / 1_000_000_000)
                             : wallBase - Int64((monotonicBase - now) / 1_000_000_000)
    }

    /// When a request completes (monotonic nanoseconds), for its latency: the system clock read
    /// now, never earlier than `eventTime`, the time of the event being handled. An answer made
    /// within the event that brought its request (a cache hit, an admin page) thus measures the
    /// work it took instead of 0. With scripted clocks, `eventTime` itself.
    func completionTime(eventTime: UInt64) -> UInt64 {
        readsSystemClock ? max(eventTime, Sys.monotonicNanoseconds()) : eventTime
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
