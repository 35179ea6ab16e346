/// One client connection owned by an `EventLoop`, with its upstream socket: the state
/// machine plus what the loop must remember between readiness events. Confined to its loop's
/// thread.
///
/// Readiness flags are set by an epoll event and cleared when a read or write comes up short
/// (EAGAIN, or fewer bytes than asked); registrations are level-triggered, so a socket that
/// still has bytes after a short read is reported again by the next wait.
final class EventConnection {
    enum UpstreamState {
        case none
        /// Waiting for the resolver pool's answer.
        case resolving
        /// A non-blocking connect to `addresses[next - 1]` is in progress.
        case connecting(addresses: [SocketAddress], next: Int)
        case connected
    }

    /// Index in the loop's connection table; also names its timers.
    let slot: Int
    /// The epoll token serial of the client socket's registration (stale events differ).
    let clientSerial: UInt32
    let clientFD: Int32
    var machine: ConnectionMachine

    var upstreamFD: Int32 = -1
    /// The socket's index in the loop's `UpstreamSocketTable` (its epoll token's slot); -1 with
    /// no socket.
    var upstreamIndex = -1
    /// The origin (`host:port`) of `upstreamFD`, for returning it to the pool.
    var upstreamKey = ""
    var upstreamSerial: UInt32 = 0
    var upstreamState = UpstreamState.none
    /// Changes whenever the upstream socket is dropped, so that a resolver answer for an
    /// earlier connect attempt is recognised and ignored.
    var upstreamTicket: UInt32 = 0

    var clientReadable = false
    var clientWritable = true
    /// EPOLLERR or EPOLLHUP on the client: read once even if the machine wants no bytes, so the
    /// failure is reported.
    var clientHangup = false
    /// Set by the first read of the client socket. Until then its input is unknown: a
    /// connection answered at once (403 for a client outside `--allow`, 503) most likely has
    /// its request waiting unread.
    var clientWasRead = false
    /// Whether unread client bytes may be waiting: never read yet, readiness reported since
    /// the last read, or an error or hang-up to report.
    var clientMayHaveInput: Bool { clientReadable || clientHangup || !clientWasRead }
    var upstreamReadable = false
    var upstreamWritable = false

    /// What the sockets are registered for now (changed only when it differs).
    var clientInterest: EpollEvents = .readable
    var upstreamInterest: EpollEvents = []

    var toClient = WriteQueue()
    var toUpstream = WriteQueue()
    /// A tunnel half-close waiting for the side's queued bytes to be sent.
    var shutdownUpstreamAfterFlush = false
    var shutdownClientAfterFlush = false
    /// The machine issued `closeClient`; the socket closes once `toClient` is sent.
    var closeRequested = false
    /// Released from the table; no event may touch it again.
    var isFinished = false
    /// The loop's sweep count when the connection last had an event (see the idle sweep).
    var lastActiveSweep: UInt64 = 0
    /// Queued in the loop's list of connections with work left after their turn's budget.
    var isQueued = false

    init(slot: Int, serial: UInt32, clientFD: Int32, machine: ConnectionMachine) {
        self.slot = slot
        clientSerial = serial
        self.clientFD = clientFD
        self.machine = machine
    }

    var isUpstreamConnected: Bool {
        if case .connected = upstreamState { return true }
        return false
    }

    /// A write is waiting for a socket that is not writable: the write-stall timer runs.
    var isWriteStalled: Bool {
        (!toClient.isEmpty && !clientWritable) || (!toUpstream.isEmpty && !upstreamWritable)
    }
}
