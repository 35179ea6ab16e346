#if canImport(Glibc)
import Glibc
#endif
import CSystemShims

/// Socket set-up: listening, accepting and connecting. Descriptors are plain `Int32`s owned by
/// whoever receives them; each owner closes exactly once.
enum Socket {
    /// A listening socket bound to `address`, non-blocking, SO_REUSEADDR set, and tuned as
    /// `tune` says: Linux copies TCP_NODELAY and TCP_NOTSENT_LOWAT from a listening socket to
    /// every socket accepted from it, so accepting costs no setsockopt (`SocketTuningTests`
    /// checks that the kernel does).
    static func listen(on address: SocketAddress, backlog: Int32 = 1024, reusePort: Bool = false,
                       notSentLowWater: Int) throws(SystemError) -> Int32 {
        let fd = try Sys.retryingEINTR("socket") { Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do throws(SystemError) {
            try Sys.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if reusePort { try Sys.setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1) }
            if address.family == AF_INET6 { try Sys.setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
            tune(fd, notSentLowWater: notSentLowWater)
            let rc = unsafe address.withSockAddr { unsafe bind(fd, $0, $1) }
            if rc != 0 { throw SystemError(call: "bind \(address)", errno: Glibc.errno) }
            if Glibc.listen(fd, backlog) != 0 { throw SystemError(call: "listen", errno: Glibc.errno) }
            try Sys.setNonBlocking(fd)
        } catch {
            Sys.close(fd)
            throw error
        }
        return fd
    }

    /// Accepts one connection; nil when none is pending (EAGAIN). The new socket is non-blocking
    /// and has the listening socket's TCP options (see `listen`).
    static func accept(_ listener: Int32) throws(SystemError) -> (fd: Int32, peer: SocketAddress)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        while true {
            // accept4: non-blocking and close-on-exec set in the same call.
            let fd = unsafe withUnsafeMutablePointer(to: &storage) { p in
                unsafe p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    unsafe portcullis_accept_nonblocking(listener, $0, &length)
                }
            }
            if fd >= 0 {
                let peer = unsafe withUnsafePointer(to: &storage) { unsafe SocketAddress(storage: UnsafeRawPointer($0)) }
                    ?? .v4(address: 0, port: 0)
                return (fd, peer)
            }
            let code = Glibc.errno
            switch code {
            case EINTR, ECONNABORTED, EPROTO: continue
            case EAGAIN: return nil
            default: throw SystemError(call: "accept", errno: code)
            }
        }
    }

    /// Starts a non-blocking connect; returns the socket, connected or in progress, tuned as
    /// `tune` says.
    static func startConnect(to address: SocketAddress, notSentLowWater: Int) throws(SystemError) -> (fd: Int32, inProgress: Bool) {
        let fd = try Sys.retryingEINTR("socket") {
            Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        let rc = unsafe address.withSockAddr { unsafe connect(fd, $0, $1) }
        let code = Glibc.errno
        if rc == 0 || code == EINPROGRESS || code == EINTR {
            tune(fd, notSentLowWater: notSentLowWater)
            return (fd, rc != 0)
        }
        Sys.close(fd)
        throw SystemError(call: "connect", errno: code)
    }

    /// Options every client and origin socket gets: TCP_NODELAY (the proxy writes whole
    /// messages, so Nagle would only hold back their last segment) and, unless 0,
    /// TCP_NOTSENT_LOWAT of `notSentLowWater` bytes (`ProxyConfiguration.notSentLowWaterBytes`).
    /// Failures are ignored: both only change timing, and the socket works without them.
    static func tune(_ fd: Int32, notSentLowWater: Int) {
        try? Sys.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        if notSentLowWater > 0 {
            try? Sys.setOption(fd, Int32(IPPROTO_TCP), TCP_NOTSENT_LOWAT, Int32(clamping: notSentLowWater))
        }
    }
}
