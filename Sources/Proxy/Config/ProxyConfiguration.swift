public import SafeParse

/// Everything the engine is configured with. Each field documents its unit and default;
/// `ProxyCLI` maps command-line options onto it.
public struct ProxyConfiguration: Sendable {
    /// TCP port to listen on (`-p`). Default 8080.
    public var port: UInt16 = 8080
    /// Addresses to listen on (`--listen`, repeatable). Default IPv4 0.0.0.0 only.
    public var listenAddresses: [String] = ["0.0.0.0"]
    /// Concurrency model (`-c`). Default `epoll`: the fastest model on every 1 KiB row of
    /// docs/BENCHMARKS.md and the only one whose idle connections cost no thread.
    public var model: ConcurrencyModel = .epoll
    /// Worker threads of the pool (`-t`). Default 4.
    public var threads: Int = 4
    /// Cache size in MiB (`-m`): the whole shared arena (index, metadata, heads, bodies).
    /// Default 10; 0 turns the cache off.
    public var cacheMegabytes: Int = 10
    /// Largest response stored, head and body (`--cache-max-object`, bytes). Larger ones stream
    /// through uncached with bounded memory. Default 4 MiB (Squid's maximum_object_size), at
    /// most a quarter of the cache.
    public var cacheMaxObjectBytes: Int = 4 << 20
    /// Shards of the cache arena, each with its own lock, index and LRU (`--cache-shards`,
    /// 1 to 64). 0 (the default): `CacheStore.automaticShardCount`, from `-m` and the largest
    /// object.
    public var cacheShards: Int = 0
    /// Heuristic freshness for responses with Last-Modified but no explicit lifetime (RFC 9111
    /// §4.2.2: 10% of the time since Last-Modified, capped at `cacheHeuristicMaxSeconds`).
    /// `--cache-heuristic on|off`. Default on.
    public var cacheHeuristic = true
    public var cacheHeuristicMaxSeconds: Int = 24 * 3600
    /// Lifetime given to storable responses with no freshness information at all
    /// (`--cache-default-ttl`, seconds). Default 0: such responses are stored but always
    /// checked with the origin first (served unchecked only when it cannot be reached).
    public var cacheDefaultLifetimeSeconds: Int = 0
    /// Store responses that carry Set-Cookie (`--cache-set-cookie on|off`). Default off.
    public var cacheSetCookie = false
    /// DEBUG lines in the log (`-v`).
    public var verbose = false
    /// Lowest level written (`--log-level`; `-v` sets debug). Default info.
    public var logLevel: LogLevel = .info
    /// Clients allowed to use the proxy (`--allow`, repeatable). Default loopback only.
    public var allow: [CIDR] = CIDR.loopback
    /// Name put in `Via` and used for loop detection (`--via-name`). Default the host name.
    public var viaName: String = Sys.hostName()
    /// Open client connections at once (thread model: threads). Over it: 503. Default 1024.
    public var maxConnections: Int = 1024
    /// Accepted connections waiting for a pool worker. Full: 503 with Retry-After. Default 128.
    public var queueCapacity: Int = 128
    /// Idle keep-alive connections kept per origin (host:port) for reuse by any client
    /// connection (`--upstream-keepalive`; 0 turns the pool off); with epoll, by any client
    /// connection of the same event loop, the cap holding over all loops. Default 64, as many as the
    /// concurrent requests one busy origin typically sees: with 8, 32 clients that each close
    /// after one request opened a new origin connection for 65% of their requests.
    public var upstreamIdlePerHost: Int = 64
    /// Idle origin connections kept in all (`--upstream-keepalive-total`), per process (with
    /// epoll, over all loops). Default 256.
    public var upstreamIdleTotal: Int = 256
    /// Ports a CONNECT tunnel may reach (`--connect-ports`); others get 403. Default 443 only,
    /// as Squid's SSL_ports.
    public var connectPorts: [UInt16] = [443]
    /// Bytes a blocking driver's connection reads from a socket at once (its own buffer); also
    /// the most buffered per direction. Default 16 KiB.
    public var ioBufferBytes: Int = 16 * 1024
    /// Bytes an epoll event loop reads from a socket at once, into the one buffer the loop
    /// shares among its connections (`--loop-read-buffer`); also the most a connection buffers
    /// per direction while the other side cannot take them. Default 64 KiB: a quarter of the
    /// reads of 16 KiB on large bodies.
    public var loopReadBytes: Int = 64 * 1024
    /// epoll: unsent bytes the kernel may queue on a client or origin socket before a write
    /// comes up short (TCP_NOTSENT_LOWAT, `--notsent-lowat`); 0 leaves the kernel's default (no
    /// limit). Default 32 KiB. Without a limit a fast origin's body goes at once into the client
    /// socket's send buffer (autotuned to megabytes), and the kernel sends it on whenever the
    /// client's acknowledgements open the window, on the client's core; with the limit the
    /// event loop reads the origin at the client's pace (a side is read only while the other's
    /// queue is empty) and the bytes leave in the loop's own send. It also bounds kernel memory
    /// per connection. It does not bound bytes in flight, so long fat paths keep their speed.
    public var notSentLowWaterBytes: Int = 32 * 1024
    /// The TCP_NOTSENT_LOWAT the model's sockets get: `notSentLowWaterBytes` with epoll, none
    /// (0) with the blocking drivers, where a thread blocked in send would be woken once per
    /// mark (that cost pool and thread 16 % to 36 % of their 1 MiB requests per second with a
    /// new connection per request; docs/BENCHMARKS.md).
    public var effectiveNotSentLowWaterBytes: Int { model == .epoll ? notSentLowWaterBytes : 0 }
    /// Log lines buffered before new ones are dropped (and counted). Default 8192.
    public var logBufferLines: Int = 8192
    /// The seccomp sandbox (`--sandbox`). Default enforce.
    public var sandbox: SandboxMode = .enforce
    /// For tests (`--sandbox-test-violation`): serving threads make one forbidden call.
    public var sandboxTestViolation = false
    /// Clients that may read the admin endpoints (`/_stats`, `/metrics`, `/_dashboard`)
    /// (`--admin-allow`, repeatable). Others get 403. Default loopback only.
    public var adminAllow: [CIDR] = CIDR.loopback
    /// Per-request metrics: counts by status, latency and size histograms, errors by reason
    /// (`--metrics on|off`). Off only to measure what they cost. Default on.
    public var metricsEnabled = true
    /// Log line format (`--log-format text|json`). Default text, the spec's lines.
    public var logFormat: LogOutputFormat = .text
    /// The system-call sandbox mode as `/_stats` and `/metrics` report it.
    public var sandboxMode: String { sandbox.rawValue }
    public var timeouts = Timeouts()
    /// Parser limits for client requests.
    public var requestLimits = Limits.default
    /// Parser limits for origin responses (bodies are unbounded: they stream).
    public var responseLimits = Limits.default

    public init() {}
}
