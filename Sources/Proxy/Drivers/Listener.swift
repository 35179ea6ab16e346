#if canImport(Glibc)
import Glibc
#endif
import CSystemShims

/// The listening sockets and the shutdown signal, polled together by the accepting thread.
/// SIGINT, SIGTERM and SIGHUP are blocked in every thread and read from a signalfd, so no
/// signal handler ever runs concurrently with the engine.
public final class Listener {
    public let fds: [Int32]
    public let addresses: [SocketAddress]
    let signalFD: Int32

    /// Binds every address of the configuration. Must run before any thread is started so
    /// that all threads inherit the blocked signal mask. With `watchChildren` (the fork model)
    /// SIGCHLD is read from the signalfd too, and `next()` reports it as `.childExited`.
    public init(config: ProxyConfiguration, watchChildren: Bool = false) throws(SystemError) {
        let sfd = watchChildren ? portcullis_signalfd_with_children() : portcullis_signalfd_for_shutdown()
        if sfd < 0 { throw SystemError(call: "signalfd", errno: errno) }
        signalFD = sfd
        var fds: [Int32] = []
        var addresses: [SocketAddress] = []
        do throws(SystemError) {
            for text in config.listenAddresses {
                guard let address = SocketAddress(numericHost: text, port: config.port) else {
                    throw SystemError(call: "listen address \(text)", errno: EINVAL)
                }
                fds.append(try Socket.listen(on: address, notSentLowWater: config.effectiveNotSentLowWaterBytes))
                addresses.append(address)
            }
        } catch {
            for fd in fds { Sys.close(fd) }
            Sys.close(sfd)
            throw error
        }
        self.fds = fds
        self.addresses = addresses
    }

    public enum Wake {
        case connection(fd: Int32, peer: SocketAddress)
        case shutdown(signal: Int32)
        /// SIGCHLD (only with `watchChildren`): a child process exited.
        case childExited
        case idle
    }

    /// A shutdown signal taken by `shutdownSignalPending()`, reported by the next `next()`.
    private var pendingSignal: Int32 = 0

    /// Non-blocking check for a shutdown signal, for a thread busy serving a connection
    /// instead of waiting in `next()` (the iterative model). Once true, `next()` returns
    /// `.shutdown` at once.
    public func shutdownSignalPending() -> Bool {
        if pendingSignal == 0 {
            let signal = portcullis_read_signal(signalFD)
            if signal > 0 && signal != SIGCHLD { pendingSignal = signal }
        }
        return pendingSignal != 0
    }

    /// Waits up to `timeoutMs` for a connection or a shutdown signal.
    public func next(timeoutMs: Int32 = 1000) -> Wake {
        if pendingSignal != 0 { return .shutdown(signal: pendingSignal) }
        var polled = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        polled.append(pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0))
        guard (try? Sys.poll(&polled, timeoutMs: timeoutMs)) ?? 0 > 0 else { return .idle }
        if polled[polled.count - 1].revents != 0 {
            let signal = portcullis_read_signal(signalFD)
            if signal == SIGCHLD { return .childExited }
            if signal > 0 { return .shutdown(signal: signal) }
        }
        for (i, p) in polled.dropLast().enumerated() where p.revents != 0 {
            if let accepted = try? Socket.accept(fds[i]) {
                return .connection(fd: accepted.fd, peer: accepted.peer)
            }
        }
        return .idle
    }

    /// Waits up to `timeoutMs` for a shutdown signal only, for drivers whose own threads
    /// accept (the epoll loops). Returns the signal number, or nil on timeout.
    public func waitForShutdown(timeoutMs: Int32) -> Int32? {
        if pendingSignal != 0 { return pendingSignal }
        var polled = [pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)]
        guard (try? Sys.poll(&polled, timeoutMs: timeoutMs)) ?? 0 > 0 else { return nil }
        let signal = portcullis_read_signal(signalFD)
        return signal > 0 ? signal : nil
    }

    /// Closes the listening sockets only (a fork-model child keeps the signalfd, which
    /// reports the signals sent to the child itself).
    func closeListeningSockets() {
        for fd in fds { Sys.close(fd) }
    }

    public func close() {
        for fd in fds { Sys.close(fd) }
        Sys.close(signalFD)
    }
}
