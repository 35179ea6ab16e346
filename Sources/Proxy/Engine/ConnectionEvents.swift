import SafeParse

/// The timers a connection uses; at most one is armed at a time.
public enum ConnectionTimer: String, Sendable, Hashable {
    /// Waiting for a complete request head (slow-loris guard).
    case clientHead
    /// A keep-alive client connection idle between requests.
    case clientIdle
    /// Establishing the upstream connection.
    case upstreamConnect
    /// Waiting for the response head after the request was sent.
    case upstreamResponse
    /// Gap between body bytes in either direction.
    case bodyIdle
    /// A CONNECT tunnel with no traffic either way.
    case tunnelIdle
    /// Polling the cache while another connection fills the same key (stampede protection).
    case cacheWait
}

/// Why an upstream connection could not be made or was lost. `message` is the system's text.
public enum UpstreamFailure: Sendable, Hashable {
    case resolve(String)
    case connect(String)
    case timeout
    case reset(String)

    public var message: String {
        switch self {
        case .resolve(let m), .connect(let m), .reset(let m): m
        case .timeout: "timed out"
        }
    }
}

/// What the state machine asks its driver to do, in order.
public enum ConnectionAction: Sendable, Hashable {
    /// Send these bytes to the client (all of them, before anything later in the list).
    case writeClient([UInt8])
    /// Send a stored body to the client straight from the cache (after earlier writes, like
    /// `writeClient`); the driver holds it, and so the entry's pin, until it is sent.
    case writeClientStored(StoredBody)
    /// Send these bytes to the upstream connection.
    case writeUpstream([UInt8])
    /// Open a connection to host:port (resolving the name), then report
    /// `upstreamConnected` or `upstreamFailed`. With `poolAllowed` the driver may hand over an
    /// idle pooled connection instead; without it (the one retry after a reused connection
    /// failed) the connection must be a new one.
    case connectUpstream(host: String, port: UInt16, poolAllowed: Bool)
    /// Close the upstream connection (the machine forgets it).
    case closeUpstream
    /// The upstream connection is idle and may be reused: the driver keeps it in its pool of
    /// idle connections to that origin (or closes it). The machine forgets it.
    case releaseUpstream
    /// Half-close (shutdown SHUT_WR) the upstream socket once earlier writes to it are done:
    /// a tunnel's client sent EOF.
    case shutdownUpstreamWrite
    /// Half-close the client socket once earlier writes to it are done: a tunnel's origin
    /// sent EOF.
    case shutdownClientWrite
    /// Close the client connection once earlier writes are done. The machine is finished.
    case closeClient
    /// Arm the connection's single timer to fire after `milliseconds`, replacing any armed one.
    case armTimer(ConnectionTimer, milliseconds: UInt64)
    case cancelTimer
    case log(LogRecord)
}

extension ConnectionAction {
    /// The bytes this action sends to the client, copied (for observers: tests and the fuzz
    /// target); nil for every other action.
    public var clientBytes: [UInt8]? {
        switch self {
        case .writeClient(let bytes): bytes
        case .writeClientStored(let body): body.copyBytes()
        default: nil
        }
    }
}
