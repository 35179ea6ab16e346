import Proxy
import SafeParse

/// A driver for one `ConnectionMachine`, in memory: it delivers a script's events the way
/// `BlockingConnection` would (peer bytes only while the machine reads that side, EOF after
/// the bytes, connect results only for a pending connect, the single timer at its deadline)
/// and hands every batch of actions to a `MachineObserver`.
///
/// Besides the observer's invariants it checks, after every event: the machine never waits on
/// an upstream the driver does not have (`wantsUpstreamBytes` only when connected); an
/// upstream EOF always ends the upstream connection (a driver would otherwise poll a dead
/// socket forever); an open connection always has a timer armed (nothing else bounds how long
/// it lives); a client that sent EOF is never kept idle between requests.
struct MachineDriverModel {
    var machine: ConnectionMachine
    var observer: MachineObserver
    /// Monotonic clock, nanoseconds.
    var now: UInt64 = 1_000_000_000
    var deadline: UInt64?
    var clientPending: [UInt8] = []
    var clientEOFPending = false
    var clientEOFDelivered = false
    var originPending: [UInt8] = []
    var originEOFPending = false
    let readSize: Int
    /// Events and actions, in order, when tracing (triage: `ConnectionMachineTarget.trace`).
    var trace: [String]?

    init(engine: EngineContext, client: SocketAddress) {
        machine = ConnectionMachine(engine: engine, client: client)
        observer = MachineObserver(requestLimits: engine.config.requestLimits, responseLimits: engine.config.responseLimits,
                                   viaName: engine.config.viaName)
        readSize = engine.config.ioBufferBytes
    }

    var closed: Bool { observer.clientClosed }

    /// Runs one machine call and checks its actions.
    private mutating func deliver(relaying: Bool = false,
                                  _ body: (inout ConnectionMachine, UInt64, inout [ConnectionAction]) -> Void) throws(InvariantViolation) {
        var out: [ConnectionAction] = []
        body(&machine, now, &out)
        if trace != nil { trace?.append(contentsOf: out.map { "    " + observer.describe($0) }) }
        for action in out {
            switch action {
            case .armTimer(_, let ms): deadline = now &+ ms &* 1_000_000
            case .cancelTimer: deadline = nil
            default: break
            }
        }
        try observer.observe(out, relaying: relaying)
    }

    mutating func start() throws(InvariantViolation) {
        try deliver { $0.start(now: $1, into: &$2) }
        try checkState()
    }

    /// One scripted event, then everything it lets the driver deliver.
    mutating func run(_ event: ScriptEvent) throws(InvariantViolation) {
        now &+= 1_000_000
        if trace != nil { trace?.append("event \(Self.describe(event))") }
        if closed {
            try deliverDirectly(event)
            return
        }
        switch event {
        case .clientBytes(let bytes):
            if !clientEOFPending { clientPending += bytes }
        case .originBytes(let bytes):
            if observer.upstream == .connected && !originEOFPending { originPending += bytes }
        case .connectResult(let outcome):
            guard observer.upstream == .connecting else { break }
            switch outcome {
            case .connected:
                observer.upstreamConnected()
                originPending = []
                originEOFPending = false
                try deliver { $0.upstreamConnected(now: $1, into: &$2) }
            case .refused:
                observer.upstreamLost()
                try deliver { $0.upstreamFailed(.connect("Connection refused"), now: $1, into: &$2) }
            case .unresolved:
                observer.upstreamLost()
                try deliver { $0.upstreamFailed(.resolve("Name or service not known"), now: $1, into: &$2) }
            }
        case .clientEOF:
            clientEOFPending = true
        case .clientWriteFailed:
            try deliver { $0.clientFailed("Broken pipe", now: $1, into: &$2) }
        case .originEOF:
            if observer.upstream == .connected { originEOFPending = true }
        case .originReset:
            if observer.upstream == .connected {
                observer.upstreamLost()
                try deliver { $0.upstreamFailed(.reset("Connection reset by peer"), now: $1, into: &$2) }
            }
        case .timerFires:
            if let deadline { try fire(at: deadline) }
        case .clockAdvances(let seconds):
            now &+= seconds &* 1_000_000_000
            if let deadline, deadline <= now { try fire(at: now) }
        }
        try pump()
    }

    /// Bytes as text with CR, LF and other non-printable bytes escaped (for traces).
    static func text(_ bytes: [UInt8]) -> String {
        bytes.map { b in
            switch b {
            case 0x0D: "\\r"
            case 0x0A: "\\n"
            case 0x20..<0x7F: String(UnicodeScalar(b))
            default: "\\x" + String(b, radix: 16)
            }
        }.joined()
    }

    static func describe(_ event: ScriptEvent) -> String {
        switch event {
        case .clientBytes(let b): "client sends \"\(text(b))\""
        case .originBytes(let b): "origin sends \"\(text(b))\""
        default: "\(event)"
        }
    }

    private mutating func fire(at time: UInt64) throws(InvariantViolation) {
        now = max(now, time)
        if trace != nil { trace?.append("  timer fires") }
        deadline = nil
        try deliver { $0.timerFired(now: $1, into: &$2) }
    }

    /// Delivers what the peers sent, while the machine takes it.
    private mutating func pump() throws(InvariantViolation) {
        var progress = true
        while progress && !closed {
            progress = false
            if machine.wantsClientBytes {
                if !clientPending.isEmpty {
                    let read = Array(clientPending.prefix(readSize))
                    clientPending.removeFirst(read.count)
                    observer.clientDelivered(read)
                    if trace != nil { trace?.append("  deliver \(read.count) client bytes") }
                    try deliver { $0.clientReceived(read.span, now: $1, into: &$2) }
                    progress = true
                } else if clientEOFPending && !clientEOFDelivered {
                    clientEOFDelivered = true
                    if trace != nil { trace?.append("  deliver client EOF") }
                    try deliver { $0.clientClosed(now: $1, into: &$2) }
                    progress = true
                }
            }
            if closed { break }
            if observer.upstream == .connected && machine.wantsUpstreamBytes {
                if !originPending.isEmpty {
                    let read = Array(originPending.prefix(readSize))
                    originPending.removeFirst(read.count)
                    observer.originDelivered(read)
                    if trace != nil { trace?.append("  deliver \(read.count) origin bytes") }
                    try deliver(relaying: true) { $0.upstreamReceived(read.span, now: $1, into: &$2) }
                    progress = true
                } else if originEOFPending {
                    originEOFPending = false
                    observer.originClosedDelivered()
                    if trace != nil { trace?.append("  deliver origin EOF") }
                    let connection = observer.connections.count
                    try deliver { $0.upstreamClosed(now: $1, into: &$2) }
                    try require(observer.upstream != .connected || observer.connections.count != connection,
                                "upstream EOF left the upstream connection open")
                    progress = true
                }
            }
            if observer.upstream != .connected {
                originPending = []
                originEOFPending = false
            }
        }
        try checkState()
    }

    /// After a machine closed the client, a racing driver may still report events: they must
    /// produce nothing but logs (checked by the observer).
    private mutating func deliverDirectly(_ event: ScriptEvent) throws(InvariantViolation) {
        switch event {
        case .clientBytes(let bytes): try deliver { $0.clientReceived(bytes.span, now: $1, into: &$2) }
        case .originBytes(let bytes): try deliver(relaying: true) { $0.upstreamReceived(bytes.span, now: $1, into: &$2) }
        case .connectResult(.connected): try deliver { $0.upstreamConnected(now: $1, into: &$2) }
        case .connectResult: try deliver { $0.upstreamFailed(.connect("Connection refused"), now: $1, into: &$2) }
        case .clientEOF: try deliver { $0.clientClosed(now: $1, into: &$2) }
        case .clientWriteFailed: try deliver { $0.clientFailed("Broken pipe", now: $1, into: &$2) }
        case .originEOF: try deliver { $0.upstreamClosed(now: $1, into: &$2) }
        case .originReset: try deliver { $0.upstreamFailed(.reset("Connection reset by peer"), now: $1, into: &$2) }
        case .timerFires, .clockAdvances: try deliver { $0.timerFired(now: $1, into: &$2) }
        }
    }

    private func checkState() throws(InvariantViolation) {
        guard !closed else { return }
        try require(!machine.wantsUpstreamBytes || observer.upstream == .connected,
                    "machine reads an upstream the driver does not have (\(observer.upstream))")
        try require(deadline != nil, "open connection with no timer armed")
        try require(!(clientEOFDelivered && machine.isBetweenRequests), "connection kept idle after the client's EOF")
    }

    /// The end of the script: the client leaves, the origin goes silent, and timers fire until
    /// the connection closes, which it must within a few timers per request still to answer.
    mutating func finish() throws(InvariantViolation) {
        if !closed {
            clientEOFPending = true
            try pump()
        }
        var idleFires = 0
        while !closed, let deadline, idleFires < 8 {
            let started = observer.requestStarts
            try fire(at: deadline)
            try pump()
            idleFires = observer.requestStarts > started ? 0 : idleFires + 1
        }
        try require(closed, "connection still open after the client left and \(idleFires) timers fired with no new request")
    }
}
