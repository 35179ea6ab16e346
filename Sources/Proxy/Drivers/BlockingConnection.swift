#if canImport(Glibc)
import Glibc
#endif

/// Runs one client connection to completion on the calling thread: a small poll(2) loop over
/// the client socket, the upstream socket and the connection's timer, carrying out the
/// `ConnectionMachine`'s actions. Used by the iterative, thread and pool models (and, later,
/// by fork children). Holds no HTTP logic.
///
/// Sockets are non-blocking; writes wait for POLLOUT, bounded by the body-idle timeout, so a
/// client that stops reading cannot hold a worker forever. Reads are at most
/// `ioBufferBytes`, and the machine's interest flags stop reading a side whose data cannot be
/// used yet, so buffering per connection stays bounded.
final class BlockingConnection {
    private let engine: EngineContext
    private let log: LogBuffer
    private let clientFD: Int32
    private var upstreamFD: Int32 = -1
    /// The origin (`host:port`) of `upstreamFD`, for returning it to the pool.
    private var upstreamKey = ""
    private var connecting: (addresses: [SocketAddress], next: Int, host: String)?
    private var machine: ConnectionMachine
    private var deadline: UInt64?
    private var readBuffer: [UInt8]
    private var clientOpen = true
    private var pending: [ConnectionAction] = []
    /// Asked once per loop turn when set: true once shutdown was requested. The iterative
    /// model passes the listener's signal check, as no other thread watches for signals
    /// while it serves a connection.
    private let shutdownRequested: (() -> Bool)?

    /// Most time a poll waits, so a drain request is noticed promptly (milliseconds).
    static let maxPollMs: Int32 = 250

    init(engine: EngineContext, clientFD: Int32, peer: SocketAddress, log: LogBuffer, shutdownRequested: (() -> Bool)? = nil) {
        self.engine = engine
        self.log = log
        self.clientFD = clientFD
        self.shutdownRequested = shutdownRequested
        machine = ConnectionMachine(engine: engine, client: peer)
        readBuffer = [UInt8](repeating: 0, count: engine.config.ioBufferBytes)
    }

    /// Serves the connection until the machine closes it, then releases every descriptor.
    func run() {
        engine.stats.activeConnections.add(1, ordering: .relaxed)
        defer {
            closeUpstream()
            Sys.close(clientFD)
            engine.stats.activeConnections.subtract(1, ordering: .relaxed)
            log.flush()
        }
        var out: [ConnectionAction] = []
        machine.start(now: Sys.monotonicNanoseconds(), into: &out)
        perform(out)
        while clientOpen && !machine.isClosed {
            if !engine.isDraining, let shutdownRequested, shutdownRequested() {
                engine.beginDraining()
            }
            if engine.isDraining && machine.isBetweenRequests {
                break
            }
            turn()
            log.flush()
        }
    }

    /// One poll and the events it reports.
    private func turn() {
        var fds: [pollfd] = [pollfd(fd: clientFD, events: machine.wantsClientBytes ? Int16(POLLIN) : 0, revents: 0)]
        let upstreamIndex = upstreamFD >= 0 ? 1 : -1
        if upstreamFD >= 0 {
            let events: Int16 = connecting != nil ? Int16(POLLOUT) : (machine.wantsUpstreamBytes ? Int16(POLLIN) : 0)
            fds.append(pollfd(fd: upstreamFD, events: events, revents: 0))
        }
        var timeout = Self.maxPollMs
        if let deadline {
            let now = Sys.monotonicNanoseconds()
            let remaining = deadline > now ? (deadline - now + 999_999) / 1_000_000 : 0
            timeout = Int32(min(UInt64(timeout), remaining))
        }
        do {
            _ = try Sys.poll(&fds, timeoutMs: timeout)
        } catch {
            event { $0.clientFailed(error.description, now: $1, into: &$2) }
            return
        }
        let now = Sys.monotonicNanoseconds()
        if let deadline, now >= deadline {
            self.deadline = nil
            event { $0.timerFired(now: $1, into: &$2) }
        }
        if upstreamIndex >= 0, upstreamFD >= 0, fds[upstreamIndex].revents != 0 {
            if connecting != nil {
                finishConnect()
            } else {
                read(from: .upstream)
            }
        }
        let clientEvents = fds[0].revents
        if clientOpen && !machine.isClosed && clientEvents != 0 {
            if machine.wantsClientBytes || clientEvents & Int16(POLLERR | POLLHUP) != 0 {
                read(from: .client)
            }
        }
    }

    // MARK: - Events

    /// Feeds one event to the machine and carries out what it asks.
    private func event(_ body: (inout ConnectionMachine, UInt64, inout [ConnectionAction]) -> Void) {
        var out: [ConnectionAction] = []
        body(&machine, Sys.monotonicNanoseconds(), &out)
        perform(out)
    }

    private enum Side { case client, upstream }

    /// One read from a side: data, EOF or an error, each reported to the machine.
    private func read(from side: Side) {
        let fd = side == .client ? clientFD : upstreamFD
        do {
            let n = try Sys.read(fd, into: &readBuffer, max: readBuffer.count)
            if n == 0 {
                switch side {
                case .client: event { $0.clientClosed(now: $1, into: &$2) }
                case .upstream: event { $0.upstreamClosed(now: $1, into: &$2) }
                }
                return
            }
            let received = readBuffer // shares storage; dies before the next read
            let span = received.span.extracting(0..<n)
            var out: [ConnectionAction] = []
            switch side {
            case .client: machine.clientReceived(span, now: Sys.monotonicNanoseconds(), into: &out)
            case .upstream: machine.upstreamReceived(span, now: Sys.monotonicNanoseconds(), into: &out)
            }
            perform(out)
        } catch {
            if error.isWouldBlock { return }
            switch side {
            case .client: event { $0.clientFailed(error.message, now: $1, into: &$2) }
            case .upstream: event { $0.upstreamFailed(.reset(error.message), now: $1, into: &$2) }
            }
        }
    }

    // MARK: - Actions

    private func perform(_ actions: [ConnectionAction]) {
        pending.append(contentsOf: actions)
        // Actions may raise events (a failed write), whose actions queue behind; one drain loop.
        guard pending.count == actions.count else { return }
        var index = 0
        while index < pending.count {
            let action = pending[index]
            index += 1
            switch action {
            case .writeClient, .writeClientStored:
                guard clientOpen else { continue }
                // This write and the client writes right after it (a hit's head and its body
                // from the arena) leave in one gathering send.
                var queue = WriteQueue()
                if let chunk = action.clientChunk { queue.append(chunk) }
                while index < pending.count, let chunk = pending[index].clientChunk {
                    queue.append(chunk)
                    index += 1
                }
                if let failure = writeAll(clientFD, &queue) {
                    var out: [ConnectionAction] = []
                    machine.clientFailed(failure, now: Sys.monotonicNanoseconds(), into: &out)
                    pending.append(contentsOf: out)
                }
            case .writeUpstream(let bytes):
                guard upstreamFD >= 0 else { continue }
                var queue = WriteQueue()
                queue.append(bytes)
                if let failure = writeAll(upstreamFD, &queue) {
                    var out: [ConnectionAction] = []
                    machine.upstreamFailed(.reset(failure), now: Sys.monotonicNanoseconds(), into: &out)
                    pending.append(contentsOf: out)
                }
            case .connectUpstream(let host, let port, let poolAllowed):
                var out: [ConnectionAction] = []
                startConnect(host: host, port: port, poolAllowed: poolAllowed, into: &out)
                pending.append(contentsOf: out)
            case .closeUpstream:
                closeUpstream()
            case .releaseUpstream:
                if upstreamFD >= 0 && connecting == nil {
                    engine.upstreamPool.put(upstreamFD, key: upstreamKey, now: Sys.monotonicNanoseconds())
                    upstreamFD = -1
                }
                closeUpstream()
            case .shutdownUpstreamWrite:
                // Writes are synchronous here, so everything queued before is already sent.
                if upstreamFD >= 0 { Sys.shutdownWrite(upstreamFD) }
            case .shutdownClientWrite:
                if clientOpen { Sys.shutdownWrite(clientFD) }
            case .closeClient:
                closeClient()
            case .armTimer(_, let ms):
                deadline = Sys.monotonicNanoseconds() &+ ms &* 1_000_000
            case .cancelTimer:
                deadline = nil
            case .log(let record):
                log.log(record)
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Sends everything in `queue`, waiting (poll) while the socket is full, at most the
    /// body-idle timeout per wait. The failure's message, or nil.
    private func writeAll(_ fd: Int32, _ queue: inout WriteQueue) -> String? {
        let limit = engine.config.timeouts.bodyIdleMs
        while true {
            switch queue.flush(to: fd) {
            case .drained:
                return nil
            case .failed(let message):
                return message
            case .blocked:
                var fds = [pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)]
                let ready = (try? Sys.poll(&fds, timeoutMs: Int32(min(limit, UInt64(Int32.max))))) ?? 0
                if ready == 0 {
                    queue.removeAll()
                    return "write timed out"
                }
            }
        }
    }

    // MARK: - Upstream connection

    private func startConnect(host: String, port: UInt16, poolAllowed: Bool, into out: inout [ConnectionAction]) {
        closeUpstream()
        upstreamKey = "\(host):\(port)"
        if poolAllowed, let pooled = engine.upstreamPool.take(key: upstreamKey, now: Sys.monotonicNanoseconds()) {
            upstreamFD = pooled
            machine.upstreamConnected(reused: true, now: Sys.monotonicNanoseconds(), into: &out)
            return
        }
        switch engine.resolver.resolveBlocking(host: host, port: port) {
        case .failure(let failure):
            machine.upstreamFailed(.resolve(failure.message), now: Sys.monotonicNanoseconds(), into: &out)
        case .success(let addresses):
            connecting = (addresses, 0, host)
            tryNextAddress(lastError: "no address", into: &out)
        }
    }

    /// Starts a connect to the next address; reports failure when none is left.
    private func tryNextAddress(lastError: String, into out: inout [ConnectionAction]) {
        var lastError = lastError
        while let state = connecting, state.next < state.addresses.count {
            let address = state.addresses[state.next]
            connecting?.next += 1
            do {
                let (fd, inProgress) = try Socket.startConnect(to: address, notSentLowWater: engine.config.effectiveNotSentLowWaterBytes)
                upstreamFD = fd
                if !inProgress {
                    connecting = nil
                    machine.upstreamConnected(now: Sys.monotonicNanoseconds(), into: &out)
                }
                return
            } catch {
                lastError = error.message
            }
        }
        connecting = nil
        machine.upstreamFailed(.connect(lastError), now: Sys.monotonicNanoseconds(), into: &out)
    }

    private func finishConnect() {
        let error = Sys.socketError(upstreamFD)
        var out: [ConnectionAction] = []
        if error == 0 {
            connecting = nil
            machine.upstreamConnected(now: Sys.monotonicNanoseconds(), into: &out)
        } else {
            Sys.close(upstreamFD)
            upstreamFD = -1
            tryNextAddress(lastError: SystemError(call: "connect", errno: error).message, into: &out)
        }
        perform(out)
    }

    private func closeUpstream() {
        if upstreamFD >= 0 {
            Sys.close(upstreamFD)
            upstreamFD = -1
        }
        connecting = nil
    }

    /// Closes the client side after draining unread input, so the kernel does not answer our
    /// last response with a reset that could destroy it (a "lingering close", bounded).
    private func closeClient() {
        guard clientOpen else { return }
        clientOpen = false
        var drained = 0
        while drained < 64 * 1024, let n = try? Sys.read(clientFD, into: &readBuffer, max: readBuffer.count), n > 0 {
            drained += n
        }
        Sys.shutdownWrite(clientFD)
    }
}
