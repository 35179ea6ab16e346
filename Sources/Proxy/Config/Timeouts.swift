/// Every timeout of a connection, in milliseconds. Defaults follow nginx's where it has one.
public struct Timeouts: Sendable, Hashable {
    /// From the first byte of a request (or the accept) to its complete head: slow-loris guard.
    public var clientHeadMs: UInt64 = 30_000
    /// How long a keep-alive client connection may sit idle between requests.
    public var clientIdleMs: UInt64 = 75_000
    /// Establishing the TCP connection to the origin (all addresses together).
    public var upstreamConnectMs: UInt64 = 10_000
    /// From the request being sent to the first byte of the response head.
    public var upstreamResponseMs: UInt64 = 60_000
    /// Longest gap between two body bytes, in either direction, and for a blocked write.
    public var bodyIdleMs: UInt64 = 60_000
    /// How long an idle origin connection waits in the pool (nginx's upstream
    /// keepalive_timeout is 60 s).
    public var upstreamIdleMs: UInt64 = 60_000
    /// A CONNECT tunnel with no byte in either direction for this long is closed (Squid's
    /// read_timeout is 15 minutes; tunnels carry long-lived TLS sessions).
    public var tunnelIdleMs: UInt64 = 300_000
    /// On SIGINT/SIGTERM, how long in-flight requests may run before the process exits.
    public var drainMs: UInt64 = 10_000

    public init() {}
}
