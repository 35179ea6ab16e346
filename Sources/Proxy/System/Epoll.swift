#if canImport(Glibc)
import Glibc
#endif
import CSystemShims

/// Event bits of an epoll registration or a ready event.
struct EpollEvents: OptionSet, Sendable {
    let rawValue: UInt32

    static let readable = EpollEvents(rawValue: UInt32(truncatingIfNeeded: PORTCULLIS_EPOLLIN))
    static let writable = EpollEvents(rawValue: UInt32(truncatingIfNeeded: PORTCULLIS_EPOLLOUT))
    static let error = EpollEvents(rawValue: UInt32(truncatingIfNeeded: PORTCULLIS_EPOLLERR))
    static let hangup = EpollEvents(rawValue: UInt32(truncatingIfNeeded: PORTCULLIS_EPOLLHUP))
    static let peerClosedWrite = EpollEvents(rawValue: UInt32(truncatingIfNeeded: PORTCULLIS_EPOLLRDHUP))
    /// Wake only one of the epoll instances waiting on a shared listening socket.
    static let exclusive = EpollEvents(rawValue: UInt32(truncatingIfNeeded: PORTCULLIS_EPOLLEXCLUSIVE))
    static let edgeTriggered = EpollEvents(rawValue: UInt32(truncatingIfNeeded: PORTCULLIS_EPOLLET))
}

/// One epoll instance. Registrations carry a 64-bit token that comes back with each event;
/// the descriptor is owned by the creator and closed exactly once with `close()`.
struct Epoll {
    let fd: Int32

    /// Most events taken from the kernel per `wait`.
    static let batch = 256

    static func create() throws(SystemError) -> Epoll {
        let fd = portcullis_epoll_create()
        if fd < 0 { throw SystemError(call: "epoll_create1", errno: Glibc.errno) }
        return Epoll(fd: fd)
    }

    func add(_ descriptor: Int32, _ events: EpollEvents, token: UInt64) throws(SystemError) {
        if portcullis_epoll_add(fd, descriptor, events.rawValue, token) != 0 {
            throw SystemError(call: "epoll_ctl(ADD)", errno: Glibc.errno)
        }
    }

    func modify(_ descriptor: Int32, _ events: EpollEvents, token: UInt64) throws(SystemError) {
        if portcullis_epoll_modify(fd, descriptor, events.rawValue, token) != 0 {
            throw SystemError(call: "epoll_ctl(MOD)", errno: Glibc.errno)
        }
    }

    /// Removes a registration; closing a descriptor removes it too, so this is only needed
    /// for descriptors that stay open (the shared listening sockets).
    func remove(_ descriptor: Int32) {
        _ = portcullis_epoll_delete(fd, descriptor)
    }

    /// Waits up to `timeoutMs` (-1: forever) and fills `tokens` and `events` (each at least
    /// `batch` long). Returns the number of ready events; EINTR counts as 0.
    func wait(tokens: inout [UInt64], events: inout [UInt32], timeoutMs: Int32) throws(SystemError) -> Int {
        precondition(tokens.count >= Self.batch && events.count >= Self.batch)
        let epfd = fd
        let n = unsafe tokens.withUnsafeMutableBufferPointer { t in
            unsafe events.withUnsafeMutableBufferPointer { e in
                unsafe portcullis_epoll_wait(epfd, t.baseAddress, e.baseAddress, Int32(Self.batch), timeoutMs)
            }
        }
        if n < 0 {
            let code = Glibc.errno
            if code == EINTR { return 0 }
            throw SystemError(call: "epoll_wait", errno: code)
        }
        return Int(n)
    }

    func close() { Sys.close(fd) }
}

/// An eventfd used to wake an event loop from another thread (shutdown, resolver answers).
struct WakeSignal: Sendable {
    let fd: Int32

    static func create() throws(SystemError) -> WakeSignal {
        let fd = portcullis_eventfd()
        if fd < 0 { throw SystemError(call: "eventfd", errno: Glibc.errno) }
        return WakeSignal(fd: fd)
    }

    /// Makes the descriptor readable; safe from any thread. A full counter (EAGAIN) is
    /// already readable, so the error is ignored.
    func signal() {
        var one: UInt64 = 1
        _ = unsafe Glibc.write(fd, &one, MemoryLayout<UInt64>.size)
    }

    /// Resets the counter so the descriptor is no longer readable.
    func clear() {
        var value: UInt64 = 0
        _ = unsafe Glibc.read(fd, &value, MemoryLayout<UInt64>.size)
    }

    func close() { Sys.close(fd) }
}
