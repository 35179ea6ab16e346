#if canImport(Glibc)
import Glibc
#endif

/// One event loop of the epoll model: a thread that multiplexes many connections over
/// non-blocking sockets with epoll, carrying out each `ConnectionMachine`'s actions. Holds no
/// HTTP logic.
///
/// - Readiness: registrations are level-triggered, and each socket's interest follows what
///   the connection can use (read a side only while the machine wants its bytes and the
///   other side's write queue is empty; write only while bytes wait). Interest is changed
///   (`epoll_ctl(MOD)`) only when it differs, which on a keep-alive exchange is never. Level
///   triggering keeps the loop correct when a read or write comes up short or with EAGAIN for
///   any reason: a socket that still has bytes is simply reported again.
///
/// - Accepting: every loop registers the shared listening sockets with EPOLLEXCLUSIVE, so the
///   kernel wakes one loop per incoming connection; a woken loop accepts a bounded batch.
/// - Timers: the machine's single timer and a write-stall timer per connection live in a
///   `TimerHeap` (O(log n) arm and cancel); `epoll_wait` sleeps until the earliest deadline.
/// - Memory: one read buffer per loop, shared by its connections (the machine copies what it
///   keeps). Bytes waiting for a socket sit in the connection's `WriteQueue`, which is empty
///   and owns nothing on an idle connection.
/// - Fairness: a connection gets at most `readsPerTurn` reads per turn; one with more to do
///   is queued and served again after the others.
/// - Name resolution goes to the `ResolverPool`; answers come back through `mailbox`.
/// - Origin connections: each upstream socket has an entry in `upstreams` whose index its
///   epoll token carries. An idle reusable one is parked in the loop's own `upstreamPool`
///   and stays registered for readability under the same token, so parking and reusing it
///   change no registration; an origin that closes a parked connection makes it readable,
///   and the loop closes it then (`closed_by_origin`). The caps are process-wide, through
///   the `UpstreamIdleBudget` the driver's loops share.
///
/// The loop object is created on the driver's thread and used only by its own thread after
/// `run()` starts, except `mailbox` and `wake`, which are thread-safe.
final class EventLoop: @unchecked Sendable {
    private enum TokenKind: UInt64 {
        case client = 0, upstream = 1, listener = 2, wake = 3
    }

    /// How often idle connections are swept for memory to release (milliseconds).
    static let idleSweepMs: UInt64 = 1000
    /// Connections released in one sweep that make it worth returning free memory to the
    /// system (`malloc_trim` walks the whole heap, so not for a handful).
    static let trimAfterReleases = 256
    /// Reads one connection may do per turn before others get theirs.
    static let readsPerTurn = 16
    /// Connections accepted per listener wake-up.
    static let acceptsPerWake = 64
    /// Pause after accept fails for lack of descriptors (EMFILE/ENFILE), in milliseconds.
    static let acceptPauseMs: UInt64 = 100
    /// Most time the loop spends writing one 503 at capacity (milliseconds). A fresh socket's
    /// send buffer takes the page at once; this only covers interrupted or short sends.
    static let rejectBudgetMs: UInt64 = 5
    /// Bytes read and discarded from a client before its socket closes (lingering close).
    static let lingerDrainBytes = 64 * 1024

    let name: String
    private let engine: EngineContext
    private let log: LogBuffer
    private let epoll: Epoll
    let wake: WakeSignal
    let mailbox = ResolverMailbox()
    private let listeners: [Int32]
    /// Client connections open across all loops (the `--max-connections` bound).
    private let live: AtomicCounter

    private var connections: [EventConnection?] = []
    /// Every open upstream socket of the loop: of a connection, or parked in `upstreamPool`.
    private var upstreams = UpstreamSocketTable()
    private var upstreamPool: LoopUpstreamPool
    private var freeSlots: [Int] = []
    private var openCount = 0
    private var serial: UInt32 = 0
    private var timers = TimerHeap()
    private var readBuffer: [UInt8]
    private var tokens = [UInt64](repeating: 0, count: Epoll.batch)
    private var readyEvents = [UInt32](repeating: 0, count: Epoll.batch)
    /// Connections with work left after their turn.
    private var queued: [EventConnection] = []
    /// Reused action list (events never nest, so one suffices).
    private var scratch: [ConnectionAction] = []
    private var listening = false
    private var acceptResumesAt: UInt64?
    private var draining = false
    /// Sweeps done; a connection whose `lastActiveSweep` is older was idle for a whole period.
    private var sweeps: UInt64 = 0
    private var nextSweepAt: UInt64 = 0

    /// `budget`: the idle origin connection caps, shared by the driver's loops.
    init(name: String, engine: EngineContext, logger: Logger, listeners: [Int32], live: AtomicCounter,
         budget: UpstreamIdleBudget) throws(SystemError) {
        self.name = name
        self.engine = engine
        self.listeners = listeners
        self.live = live
        upstreamPool = LoopUpstreamPool(budget: budget, idleMs: engine.config.timeouts.upstreamIdleMs, stats: engine.stats)
        log = LogBuffer(logger: logger, thread: name)
        epoll = try Epoll.create()
        do {
            wake = try WakeSignal.create()
        } catch {
            epoll.close()
            throw error
        }
        readBuffer = [UInt8](repeating: 0, count: engine.config.loopReadBytes)
    }

    // MARK: - The loop

    /// Serves connections until shutdown is requested and every connection has finished.
    func run() {
        defer {
            upstreamPool.closeAllOnExit { upstreams.remove($0) }
            log.flush()
            epoll.close()
            wake.close()
        }
        do {
            try epoll.add(wake.fd, .readable, token: Self.token(.wake, slot: 0, serial: 0))
            try startListening()
        } catch {
            log.log(LogRecord(.error, "event_loop_failed", [("error", .text(error.description))]))
            return
        }
        while true {
            if engine.isDraining && !draining { beginDraining() }
            if draining && openCount == 0 { return }
            let n: Int
            do {
                n = try epoll.wait(tokens: &tokens, events: &readyEvents, timeoutMs: nextTimeoutMs())
            } catch {
                log.log(LogRecord(.error, "event_loop_failed", [("error", .text(error.description))]))
                return
            }
            for i in 0..<n {
                dispatch(token: tokens[i], events: EpollEvents(rawValue: readyEvents[i]))
            }
            fireTimers()
            serveQueued()
            sweepIdleConnections()
            if let resume = acceptResumesAt, Sys.monotonicNanoseconds() >= resume, !draining {
                acceptResumesAt = nil
                try? startListening()
            }
            log.flush()
        }
    }

    private func nextTimeoutMs() -> Int32 {
        if !queued.isEmpty { return 0 }
        var wait: UInt64 = 1000 // upper bound, so a missed wake-up delays shutdown at most 1 s
        let now = Sys.monotonicNanoseconds()
        if let earliest = timers.earliest {
            wait = min(wait, earliest > now ? (earliest - now + 999_999) / 1_000_000 : 0)
        }
        if let resume = acceptResumesAt {
            wait = min(wait, resume > now ? (resume - now + 999_999) / 1_000_000 : 0)
        }
        return Int32(wait)
    }

    private static func token(_ kind: TokenKind, slot: Int, serial: UInt32) -> UInt64 {
        UInt64(serial) << 32 | UInt64(slot) << 2 | kind.rawValue
    }

    private func nextSerial() -> UInt32 {
        serial &+= 1
        return serial
    }

    private func dispatch(token: UInt64, events: EpollEvents) {
        let kind = TokenKind(rawValue: token & 3) ?? .wake
        let slot = Int((token >> 2) & 0x3FFF_FFFF)
        let tokenSerial = UInt32(truncatingIfNeeded: token >> 32)
        switch kind {
        case .wake:
            wake.clear()
            deliverResolverAnswers()
        case .listener:
            if slot < listeners.count { acceptBatch(listeners[slot]) }
        case .client:
            guard slot < connections.count, let conn = connections[slot], conn.clientSerial == tokenSerial else { return }
            if !events.isDisjoint(with: [.readable, .peerClosedWrite, .hangup, .error]) { conn.clientReadable = true }
            if !events.isDisjoint(with: [.hangup, .error]) { conn.clientHangup = true }
            if events.contains(.writable) { conn.clientWritable = true }
            pump(conn)
        case .upstream:
            guard let entry = upstreams[slot], entry.serial == tokenSerial else { return }
            guard case .connection(let owner) = entry.owner else {
                if case .parked(let key) = entry.owner { parkedReadable(index: slot, fd: entry.fd, key: key) }
                return
            }
            guard owner < connections.count, let conn = connections[owner], conn.upstreamIndex == slot else { return }
            if case .connecting = conn.upstreamState {
                if !events.isDisjoint(with: [.writable, .hangup, .error]) { finishConnect(conn) }
            } else {
                if !events.isDisjoint(with: [.readable, .peerClosedWrite, .hangup, .error]) { conn.upstreamReadable = true }
                if events.contains(.writable) { conn.upstreamWritable = true }
            }
            pump(conn)
        }
    }

    // MARK: - Accepting

    private func startListening() throws(SystemError) {
        guard !listening else { return }
        for (i, fd) in listeners.enumerated() {
            try epoll.add(fd, [.readable, .exclusive], token: Self.token(.listener, slot: i, serial: 0))
        }
        listening = true
    }

    private func stopListening() {
        guard listening else { return }
        for fd in listeners { epoll.remove(fd) }
        listening = false
    }

    private func acceptBatch(_ listener: Int32) {
        for _ in 0..<Self.acceptsPerWake {
            let accepted: (fd: Int32, peer: SocketAddress)?
            do {
                accepted = try Socket.accept(listener)
            } catch {
                if error.errno == EMFILE || error.errno == ENFILE {
                    // Level-triggered listeners would wake us again at once: pause instead.
                    stopListening()
                    acceptResumesAt = Sys.monotonicNanoseconds() &+ Self.acceptPauseMs &* 1_000_000
                }
                log.log(LogRecord(.warn, "accept_failed", [("error", .text(error.description))]))
                return
            }
            guard let (fd, peer) = accepted else { return }
            engine.stats.acceptedConnections.add(1, ordering: .relaxed)
            guard live.value < engine.config.maxConnections else {
                Overload.reject(fd: fd, engine: engine, log: log, reason: "max_connections", waitMs: Self.rejectBudgetMs)
                continue
            }
            open(fd: fd, peer: peer)
        }
    }

    private func open(fd: Int32, peer: SocketAddress) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = connections.count
            connections.append(nil)
        }
        let conn = EventConnection(slot: slot, serial: nextSerial(), clientFD: fd,
                                   machine: ConnectionMachine(engine: engine, client: peer))
        do {
            try epoll.add(fd, conn.clientInterest, token: Self.token(.client, slot: slot, serial: conn.clientSerial))
        } catch {
            Sys.close(fd)
            freeSlots.append(slot)
            log.log(LogRecord(.error, "register_failed", [("error", .text(error.description))]))
            return
        }
        connections[slot] = conn
        openCount += 1
        if openCount == 1 { engine.poolGauges.busyWorkers.add(1, ordering: .relaxed) }
        live.increment()
        engine.stats.activeConnections.add(1, ordering: .relaxed)
        event(conn) { $0.start(now: $1, into: &$2) }
        pump(conn)
    }

    // MARK: - Driving one connection

    /// Feeds one event to the connection's machine and carries out its actions.
    private func event(_ conn: EventConnection, _ body: (inout ConnectionMachine, UInt64, inout [ConnectionAction]) -> Void) {
        var out = scratch
        scratch = []
        out.removeAll(keepingCapacity: true)
        body(&conn.machine, Sys.monotonicNanoseconds(), &out)
        perform(conn, &out)
        scratch = out
    }

    /// Carries out actions in order; actions raised meanwhile (a failed connect) queue behind.
    private func perform(_ conn: EventConnection, _ actions: inout [ConnectionAction]) {
        var index = 0
        while index < actions.count {
            let action = actions[index]
            index += 1
            switch action {
            case .writeClient, .writeClientStored:
                if !conn.closeRequested, let chunk = action.clientChunk { conn.toClient.append(chunk) }
            case .writeUpstream(let bytes):
                if conn.isUpstreamConnected { conn.toUpstream.append(bytes) }
            case .connectUpstream(let host, let port, let poolAllowed):
                startConnect(conn, host: host, port: port, poolAllowed: poolAllowed, into: &actions)
            case .closeUpstream:
                closeUpstream(conn)
            case .releaseUpstream:
                releaseUpstream(conn)
            case .shutdownUpstreamWrite:
                conn.shutdownUpstreamAfterFlush = true
            case .shutdownClientWrite:
                conn.shutdownClientAfterFlush = true
            case .closeClient:
                conn.closeRequested = true
            case .armTimer(_, let ms):
                timers.arm(conn.slot * 2, at: Sys.monotonicNanoseconds() &+ ms &* 1_000_000)
            case .cancelTimer:
                timers.cancel(conn.slot * 2)
            case .log(let record):
                log.log(record)
            }
        }
    }

    /// Moves bytes as far as the sockets allow, then registers the interest that matches what
    /// the connection can use next.
    private func pump(_ conn: EventConnection) {
        conn.lastActiveSweep = sweeps
        move(conn)
        if !conn.isFinished { updateInterest(conn) }
    }

    /// Flushes queued writes, then reads whichever side the machine wants, until nothing more
    /// can happen now or the turn's budget is spent.
    private func move(_ conn: EventConnection) {
        var reads = 0
        while !conn.isFinished {
            flushWrites(conn)
            if conn.isFinished { return }
            if conn.machine.isClosed { conn.closeRequested = true }
            if conn.closeRequested {
                if conn.toClient.isEmpty { finish(conn) }
                return
            }
            if draining && conn.machine.isBetweenRequests && conn.toClient.isEmpty {
                finish(conn)
                return
            }
            let readUpstream = conn.upstreamReadable && conn.isUpstreamConnected && conn.machine.wantsUpstreamBytes
                && conn.toClient.isEmpty
            let readClient = conn.clientReadable && conn.toUpstream.isEmpty
                && (conn.machine.wantsClientBytes || conn.clientHangup)
            guard readUpstream || readClient else { return }
            guard reads < Self.readsPerTurn else {
                if !conn.isQueued {
                    conn.isQueued = true
                    queued.append(conn)
                }
                return
            }
            reads += 1
            if readUpstream { read(conn, upstream: true) } else { read(conn, upstream: false) }
        }
    }

    private func updateInterest(_ conn: EventConnection) {
        var client: EpollEvents = []
        if conn.machine.wantsClientBytes && conn.toUpstream.isEmpty && !conn.closeRequested { client.insert(.readable) }
        if !conn.toClient.isEmpty { client.insert(.writable) }
        if client != conn.clientInterest {
            do {
                try epoll.modify(conn.clientFD, client, token: Self.token(.client, slot: conn.slot, serial: conn.clientSerial))
                conn.clientInterest = client
            } catch {
                log.log(LogRecord(.error, "register_failed", [("error", .text(error.description))]))
            }
        }
        guard conn.upstreamFD >= 0, conn.isUpstreamConnected else { return }
        var upstream: EpollEvents = []
        if conn.machine.wantsUpstreamBytes && conn.toClient.isEmpty { upstream.insert(.readable) }
        if !conn.toUpstream.isEmpty { upstream.insert(.writable) }
        if upstream != conn.upstreamInterest {
            do {
                try epoll.modify(conn.upstreamFD, upstream, token: Self.token(.upstream, slot: conn.upstreamIndex, serial: conn.upstreamSerial))
                conn.upstreamInterest = upstream
            } catch {
                log.log(LogRecord(.error, "register_failed", [("error", .text(error.description))]))
            }
        }
    }

    private func flushWrites(_ conn: EventConnection) {
        if !conn.toUpstream.isEmpty && conn.upstreamWritable && conn.upstreamFD >= 0 {
            switch conn.toUpstream.flush(to: conn.upstreamFD) {
            case .drained: break
            case .blocked(let progress):
                conn.upstreamWritable = false
                if progress { timers.cancel(conn.slot * 2 + 1) }
            case .failed(let message):
                event(conn) { $0.upstreamFailed(.reset(message), now: $1, into: &$2) }
            }
        }
        if !conn.toClient.isEmpty && conn.clientWritable {
            // A connection that closes once this queue drains sends its last segment with the
            // FIN (`move` calls `finish` right after a drained flush). Not when the close must
            // first drain unread input: if that drain gave up, close() would reset the
            // connection, and a held segment would be lost with it.
            let closeFollows = conn.closeRequested
                && !Self.needsLingeringDrain(socketMayHaveInput: conn.clientMayHaveInput,
                                             inputComplete: conn.machine.clientInputComplete)
            switch conn.toClient.flush(to: conn.clientFD, closeFollows: closeFollows) {
            case .drained: break
            case .blocked(let progress):
                conn.clientWritable = false
                if progress { timers.cancel(conn.slot * 2 + 1) }
            case .failed(let message):
                if conn.closeRequested {
                    finish(conn)
                    return
                }
                event(conn) { $0.clientFailed(message, now: $1, into: &$2) }
                conn.toClient.removeAll()
            }
        }
        // Half-closes wait for what was queued before them.
        if conn.shutdownUpstreamAfterFlush && conn.toUpstream.isEmpty && conn.upstreamFD >= 0 {
            conn.shutdownUpstreamAfterFlush = false
            Sys.shutdownWrite(conn.upstreamFD)
        }
        if conn.shutdownClientAfterFlush && conn.toClient.isEmpty {
            conn.shutdownClientAfterFlush = false
            Sys.shutdownWrite(conn.clientFD)
        }
        // A write that cannot progress for the body-idle time fails the connection.
        let stallTimer = conn.slot * 2 + 1
        if conn.isWriteStalled {
            if !timers.isArmed(stallTimer) {
                timers.arm(stallTimer, at: Sys.monotonicNanoseconds() &+ engine.config.timeouts.bodyIdleMs &* 1_000_000)
            }
        } else {
            timers.cancel(stallTimer)
        }
    }

    /// One read from a side: data, EOF or an error, each reported to the machine.
    private func read(_ conn: EventConnection, upstream: Bool) {
        let fd = upstream ? conn.upstreamFD : conn.clientFD
        if !upstream { conn.clientWasRead = true }
        do {
            let n = try Sys.read(fd, into: &readBuffer, max: readBuffer.count)
            if n < readBuffer.count { markDrained(conn, upstream: upstream) }
            if n == 0 {
                if upstream {
                    event(conn) { $0.upstreamClosed(now: $1, into: &$2) }
                } else {
                    conn.clientHangup = false
                    event(conn) { $0.clientClosed(now: $1, into: &$2) }
                }
                return
            }
            let received = readBuffer // shares storage; dies before the next read
            let span = received.span.extracting(0..<n)
            var out = scratch
            scratch = []
            out.removeAll(keepingCapacity: true)
            if upstream {
                conn.machine.upstreamReceived(span, now: Sys.monotonicNanoseconds(), into: &out)
            } else {
                conn.machine.clientReceived(span, now: Sys.monotonicNanoseconds(), into: &out)
            }
            perform(conn, &out)
            scratch = out
        } catch {
            markDrained(conn, upstream: upstream)
            if error.isWouldBlock { return }
            if upstream {
                event(conn) { $0.upstreamFailed(.reset(error.message), now: $1, into: &$2) }
            } else {
                conn.clientHangup = false
                event(conn) { $0.clientFailed(error.message, now: $1, into: &$2) }
            }
        }
    }

    private func markDrained(_ conn: EventConnection, upstream: Bool) {
        if upstream { conn.upstreamReadable = false } else { conn.clientReadable = false }
    }

    /// Once per `idleSweepMs`: connections with no activity for a whole period and no request
    /// in progress give back their origin connection to the pool (`detachIdleUpstream`) and
    /// their parsers and buffers (`releaseIdleMemory`), so idle keep-alive connections hold
    /// only their small fixed state.
    private func sweepIdleConnections() {
        let now = Sys.monotonicNanoseconds()
        guard now >= nextSweepAt else { return }
        nextSweepAt = now &+ Self.idleSweepMs &* 1_000_000
        var released = 0
        for case let conn? in connections where conn.lastActiveSweep < sweeps && conn.toClient.isEmpty {
            if conn.upstreamFD >= 0 && conn.isUpstreamConnected {
                event(conn) { machine, _, out in machine.detachIdleUpstream(into: &out) }
            }
            if conn.machine.releaseIdleMemory() { released += 1 }
        }
        sweeps &+= 1
        // Freed chunks stay in the allocator (and in RSS) unless handed back; after a burst
        // went idle, hand them back once.
        if released >= Self.trimAfterReleases { Sys.releaseFreeMemory() }
        upstreamPool.closeExpired(now: now) { upstreams.remove($0) }
    }

    private func serveQueued() {
        guard !queued.isEmpty else { return }
        let turn = queued
        queued = []
        for conn in turn {
            conn.isQueued = false
            if !conn.isFinished { pump(conn) }
        }
    }

    private func fireTimers() {
        let now = Sys.monotonicNanoseconds()
        while let id = timers.popExpired(now: now) {
            guard let conn = connections[id / 2], !conn.isFinished else { continue }
            if id % 2 == 0 {
                event(conn) { $0.timerFired(now: $1, into: &$2) }
            } else if conn.closeRequested || (!conn.toClient.isEmpty && !conn.clientWritable) {
                if conn.closeRequested {
                    finish(conn)
                    continue
                }
                conn.toClient.removeAll()
                event(conn) { $0.clientFailed("write timed out", now: $1, into: &$2) }
            } else {
                conn.toUpstream.removeAll()
                event(conn) { $0.upstreamFailed(.timeout, now: $1, into: &$2) }
            }
            pump(conn)
        }
    }

    // MARK: - Upstream connection

    private func startConnect(_ conn: EventConnection, host: String, port: UInt16, poolAllowed: Bool, into out: inout [ConnectionAction]) {
        closeUpstream(conn)
        conn.upstreamKey = "\(host):\(port)"
        if poolAllowed, let pooled = takePooled(key: conn.upstreamKey, checkLiveness: !conn.machine.retriesFailedReuse),
           let entry = upstreams[pooled.index] {
            // Registered for readability under its index all along: nothing to change.
            upstreams.setOwner(pooled.index, .connection(slot: conn.slot))
            conn.upstreamFD = pooled.fd
            conn.upstreamIndex = pooled.index
            conn.upstreamSerial = entry.serial
            conn.upstreamInterest = .readable
            conn.upstreamState = .connected
            conn.upstreamReadable = false
            conn.upstreamWritable = true
            conn.machine.upstreamConnected(reused: true, now: Sys.monotonicNanoseconds(), into: &out)
            return
        }
        if let answer = engine.resolver.immediate(host: host, port: port) {
            connect(conn, answer: answer, into: &out)
            return
        }
        conn.upstreamState = .resolving
        let mailbox = mailbox, wake = wake
        let slot = conn.slot, serial = conn.clientSerial, ticket = conn.upstreamTicket
        let queued = engine.resolver.submit(host: host, port: port) { answer in
            mailbox.post(ResolverMailbox.Delivery(slot: slot, serial: serial, ticket: ticket, answer: answer))
            wake.signal()
        }
        if !queued {
            conn.upstreamState = .none
            conn.machine.upstreamFailed(.resolve("resolver queue full"), now: Sys.monotonicNanoseconds(), into: &out)
        }
    }

    /// A parked connection to `key` for reuse, or nil. With `checkLiveness` (a request that
    /// would not be retried if the connection turned out dead) each candidate is first checked
    /// with a peek, since an origin's close that arrived after the last `epoll_wait` is not
    /// known yet; otherwise a dead one fails the request's first write or read, which the
    /// machine retries once on a new connection.
    private func takePooled(key: String, checkLiveness: Bool) -> (index: Int, fd: Int32)? {
        let now = Sys.monotonicNanoseconds()
        while let pooled = upstreamPool.take(key: key, now: now, free: { upstreams.remove($0) }) {
            if !checkLiveness || Sys.isQuietAndOpen(pooled.fd) { return pooled }
            Sys.close(pooled.fd)
            upstreams.remove(pooled.index)
            engine.stats.upstreamClosedByOrigin.add(1, ordering: .relaxed)
        }
        return nil
    }

    /// A parked connection was reported readable (or hung up). The report may predate the
    /// connection's parking within the same batch of events (its last owner read what it
    /// announced), so a quiet, open connection stays; any other is closed and counted.
    private func parkedReadable(index: Int, fd: Int32, key: String) {
        if Sys.isQuietAndOpen(fd) { return }
        upstreamPool.originClosed(index: index, key: key) { upstreams.remove($0) }
    }

    private func deliverResolverAnswers() {
        for delivery in mailbox.take() {
            guard delivery.slot < connections.count, let conn = connections[delivery.slot],
                  conn.clientSerial == delivery.serial, conn.upstreamTicket == delivery.ticket,
                  case .resolving = conn.upstreamState else { continue }
            var out = scratch
            scratch = []
            out.removeAll(keepingCapacity: true)
            connect(conn, answer: delivery.answer, into: &out)
            perform(conn, &out)
            scratch = out
            pump(conn)
        }
    }

    private func connect(_ conn: EventConnection, answer: ResolverPool.Answer, into out: inout [ConnectionAction]) {
        switch answer {
        case .failure(let failure):
            conn.upstreamState = .none
            conn.machine.upstreamFailed(.resolve(failure.message), now: Sys.monotonicNanoseconds(), into: &out)
        case .success(let addresses):
            conn.upstreamState = .connecting(addresses: addresses, next: 0)
            tryNextAddress(conn, lastError: "no address", into: &out)
        }
    }

    /// Starts a connect to the next address; reports failure when none is left.
    private func tryNextAddress(_ conn: EventConnection, lastError: String, into out: inout [ConnectionAction]) {
        var lastError = lastError
        while case .connecting(let addresses, let next) = conn.upstreamState, next < addresses.count {
            conn.upstreamState = .connecting(addresses: addresses, next: next + 1)
            do throws(SystemError) {
                let (fd, inProgress) = try Socket.startConnect(to: addresses[next], notSentLowWater: engine.config.effectiveNotSentLowWaterBytes)
                let serial = nextSerial()
                let index = upstreams.add(fd: fd, serial: serial, owner: .connection(slot: conn.slot))
                do {
                    try epoll.add(fd, .writable, token: Self.token(.upstream, slot: index, serial: serial))
                } catch {
                    Sys.close(fd)
                    upstreams.remove(index)
                    throw error
                }
                conn.upstreamFD = fd
                conn.upstreamIndex = index
                conn.upstreamSerial = serial
                conn.upstreamInterest = .writable
                conn.upstreamReadable = false
                conn.upstreamWritable = false
                if !inProgress {
                    conn.upstreamState = .connected
                    conn.upstreamWritable = true
                    conn.machine.upstreamConnected(now: Sys.monotonicNanoseconds(), into: &out)
                }
                return
            } catch {
                lastError = error.message
            }
        }
        conn.upstreamState = .none
        conn.machine.upstreamFailed(.connect(lastError), now: Sys.monotonicNanoseconds(), into: &out)
    }

    private func finishConnect(_ conn: EventConnection) {
        let error = Sys.socketError(conn.upstreamFD)
        var out = scratch
        scratch = []
        out.removeAll(keepingCapacity: true)
        if error == 0 {
            conn.upstreamState = .connected
            conn.upstreamWritable = true
            conn.machine.upstreamConnected(now: Sys.monotonicNanoseconds(), into: &out)
        } else {
            Sys.close(conn.upstreamFD)
            upstreams.remove(conn.upstreamIndex)
            conn.upstreamFD = -1
            conn.upstreamIndex = -1
            tryNextAddress(conn, lastError: SystemError(call: "connect", errno: error).message, into: &out)
        }
        perform(conn, &out)
        scratch = out
    }

    /// Hands an idle, reusable upstream connection to the loop's pool. It stays registered
    /// under its token, for readability only (one `epoll_ctl` if it was registered otherwise),
    /// so that the origin closing it is noticed.
    private func releaseUpstream(_ conn: EventConnection) {
        guard conn.upstreamFD >= 0, conn.isUpstreamConnected, conn.toUpstream.isEmpty, upstreamPool.isEnabled,
              let entry = upstreams[conn.upstreamIndex] else {
            closeUpstream(conn)
            return
        }
        if conn.upstreamInterest != .readable {
            do {
                try epoll.modify(conn.upstreamFD, .readable, token: Self.token(.upstream, slot: conn.upstreamIndex, serial: entry.serial))
            } catch {
                closeUpstream(conn)
                return
            }
        }
        upstreams.setOwner(conn.upstreamIndex, .parked(key: conn.upstreamKey))
        upstreamPool.park(index: conn.upstreamIndex, fd: conn.upstreamFD, key: conn.upstreamKey, now: Sys.monotonicNanoseconds()) {
            upstreams.remove($0)
        }
        conn.upstreamFD = -1
        conn.upstreamIndex = -1
        closeUpstream(conn)
    }

    private func closeUpstream(_ conn: EventConnection) {
        if conn.upstreamFD >= 0 {
            Sys.close(conn.upstreamFD) // also removes it from the epoll set
            upstreams.remove(conn.upstreamIndex)
            conn.upstreamFD = -1
            conn.upstreamIndex = -1
        }
        conn.upstreamState = .none
        conn.upstreamInterest = []
        conn.upstreamTicket &+= 1
        conn.upstreamReadable = false
        conn.upstreamWritable = false
        conn.toUpstream.removeAll()
        conn.shutdownUpstreamAfterFlush = false
    }

    // MARK: - Closing

    /// Closes the client after draining unread input (a bounded lingering close, so the kernel
    /// does not answer our last response with a reset), drops the upstream and frees the slot.
    /// The drain is skipped when `needsLingeringDrain` says no input can be waiting.
    private func finish(_ conn: EventConnection) {
        guard !conn.isFinished else { return }
        conn.isFinished = true
        if Self.needsLingeringDrain(socketMayHaveInput: conn.clientMayHaveInput,
                                    inputComplete: conn.machine.clientInputComplete) {
            var drained = 0
            while drained < Self.lingerDrainBytes, let n = try? Sys.read(conn.clientFD, into: &readBuffer, max: readBuffer.count), n > 0 {
                drained += n
            }
        }
        // With nothing unread, close() ends the connection with a FIN (a shutdown first would
        // only cost a call).
        Sys.close(conn.clientFD)
        closeUpstream(conn)
        conn.toClient.removeAll()
        timers.cancel(conn.slot * 2)
        timers.cancel(conn.slot * 2 + 1)
        connections[conn.slot] = nil
        freeSlots.append(conn.slot)
        openCount -= 1
        if openCount == 0 { engine.poolGauges.busyWorkers.subtract(1, ordering: .relaxed) }
        live.decrement()
        engine.stats.activeConnections.subtract(1, ordering: .relaxed)
    }

    /// Whether closing a client socket needs the lingering-close drain first. Not when the last
    /// read found the socket empty and no readiness was reported since (`socketMayHaveInput`
    /// false) and the client has sent a complete request with nothing due after it
    /// (`inputComplete`): then no unread byte is known or expected, and the drain read would
    /// only return EAGAIN. Bytes a client sends after its complete request in the moment
    /// since the last `epoll_wait` can still meet the close, as with nginx's default.
    static func needsLingeringDrain(socketMayHaveInput: Bool, inputComplete: Bool) -> Bool {
        socketMayHaveInput || !inputComplete
    }

    /// Stops accepting and closes every connection that is between requests; the others
    /// close as soon as their exchange ends (checked in `pump`).
    private func beginDraining() {
        draining = true
        stopListening()
        acceptResumesAt = nil
        for case let conn? in connections where conn.machine.isBetweenRequests && conn.toClient.isEmpty {
            finish(conn)
        }
    }
}

/// Resolver answers on their way from a resolver thread to an event loop.
final class ResolverMailbox: @unchecked Sendable {
    struct Delivery {
        var slot: Int
        var serial: UInt32
        var ticket: UInt32
        var answer: ResolverPool.Answer
    }

    private let lock = ConditionLock()
    /// Guarded by `lock`; at most one entry per connection resolving, so bounded by the
    /// loop's connections.
    private var deliveries: [Delivery] = []

    func post(_ delivery: Delivery) {
        lock.withLock { deliveries.append(delivery) }
    }

    func take() -> [Delivery] {
        lock.withLock {
            let taken = deliveries
            deliveries = []
            return taken
        }
    }
}
