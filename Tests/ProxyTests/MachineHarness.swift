import Proxy
import SafeParse

/// Drives one `ConnectionMachine` with scripted events and records every action, so a test
/// reads like a conversation: client sends, upstream connects, origin answers.
struct MachineHarness {
    var machine: ConnectionMachine
    var actions: [ConnectionAction] = []
    /// Monotonic clock in nanoseconds, advanced by `advance(ms:)`.
    var now: UInt64 = 1_000_000_000
    var armed: (ConnectionTimer, UInt64)?

    static func config(_ edit: (inout ProxyConfiguration) -> Void = { _ in }) -> ProxyConfiguration {
        var config = ProxyConfiguration()
        config.viaName = "portcullis-test"
        // The forwarding tests describe the proxy without its cache (X-Proxy-Cache: BYPASS);
        // the cache tests turn it on (`cached`).
        config.cacheMegabytes = 0
        edit(&config)
        return config
    }

    init(config: ProxyConfiguration = MachineHarness.config(), client: SocketAddress = .v4(address: 0x7F00_0001, port: 40000)) {
        self.init(engine: EngineContext(config: config), client: client)
    }

    /// A machine of `engine` (connections sharing one engine share its cache), its clock at
    /// `now`.
    init(engine: EngineContext, client: SocketAddress = .v4(address: 0x7F00_0001, port: 40000), now: UInt64 = 1_000_000_000) {
        machine = ConnectionMachine(engine: engine, client: client)
        self.now = now
        record { $0.start(now: $1, into: &$2) }
    }

    /// An engine with a cache of `megabytes`, its wall clock at `wallSeconds` when the
    /// monotonic clock reads 1 s (the harness's starting time).
    static func cachedEngine(megabytes: Int = 4, wallSeconds: Int64 = 1_700_000_000,
                             _ edit: (inout ProxyConfiguration) -> Void = { _ in }) -> EngineContext {
        let config = MachineHarness.config {
            $0.cacheMegabytes = megabytes
            $0.cacheMaxObjectBytes = 256 * 1024
            edit(&$0)
        }
        return EngineContext(config: config, wallClock: (wallSeconds, 1_000_000_000))
    }

    mutating func record(_ body: (inout ConnectionMachine, UInt64, inout [ConnectionAction]) -> Void) {
        var out: [ConnectionAction] = []
        body(&machine, now, &out)
        for action in out {
            switch action {
            case .armTimer(let kind, let ms): armed = (kind, now + ms * 1_000_000)
            case .cancelTimer: armed = nil
            default: break
            }
        }
        actions.append(contentsOf: out)
    }

    mutating func client(_ text: String) { client(Array(text.utf8)) }
    mutating func client(_ bytes: [UInt8]) { record { $0.clientReceived(bytes.span, now: $1, into: &$2) } }
    mutating func clientEOF() { record { $0.clientClosed(now: $1, into: &$2) } }
    mutating func connected() { record { $0.upstreamConnected(now: $1, into: &$2) } }
    mutating func connectFailed(_ failure: UpstreamFailure) { record { $0.upstreamFailed(failure, now: $1, into: &$2) } }
    mutating func origin(_ text: String) { origin(Array(text.utf8)) }
    mutating func origin(_ bytes: [UInt8]) { record { $0.upstreamReceived(bytes.span, now: $1, into: &$2) } }
    mutating func originEOF() { record { $0.upstreamClosed(now: $1, into: &$2) } }

    /// Advances the clock and fires the armed timer if its deadline passed.
    mutating func advance(ms: UInt64) {
        now += ms * 1_000_000
        if let (_, deadline) = armed, now >= deadline {
            armed = nil
            record { $0.timerFired(now: $1, into: &$2) }
        }
    }

    /// Everything written to the client, as text.
    var toClient: String {
        String(decoding: actions.flatMap { $0.clientBytes ?? [] }, as: UTF8.self)
    }

    /// Everything written upstream, as text.
    var toUpstream: String {
        String(decoding: actions.flatMap { if case .writeUpstream(let b) = $0 { b } else { [UInt8]() } }, as: UTF8.self)
    }

    var connects: [String] {
        actions.compactMap { if case .connectUpstream(let h, let p, _) = $0 { "\(h):\(p)" } else { nil } }
    }

    /// For each `connectUpstream`, whether it let the driver use a pooled connection.
    var connectsPoolAllowed: [Bool] {
        actions.compactMap { if case .connectUpstream(_, _, let allowed) = $0 { allowed } else { nil } }
    }

    var clientClosed: Bool { actions.contains(.closeClient) }
    var upstreamCloses: Int { actions.filter { $0 == .closeUpstream }.count }

    var logs: [LogRecord] { actions.compactMap { if case .log(let r) = $0 { r } else { nil } } }

    func logs(_ event: String) -> [LogRecord] { logs.filter { $0.event == event } }

    /// Statuses of request_complete lines, in order.
    var completedStatuses: [Int] {
        logs("request_complete").compactMap { if case .int(let s) = $0.value("status") { s } else { nil } }
    }

    /// Clears recorded actions (keeps machine state).
    mutating func reset() { actions.removeAll() }
}

extension String {
    /// Offsets (in UTF-8 bytes) where `needle` starts, non-overlapping.
    func offsets(of needle: String) -> [Int] {
        let h = Array(utf8), n = Array(needle.utf8)
        guard !n.isEmpty, h.count >= n.count else { return [] }
        var result: [Int] = []
        var i = 0
        while i <= h.count - n.count {
            if Array(h[i..<(i + n.count)]) == n { result.append(i); i += n.count } else { i += 1 }
        }
        return result
    }
}
