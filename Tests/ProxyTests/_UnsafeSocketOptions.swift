// Pointer code of the socket-tuning tests, fenced here: reading a socket's options and port.
#if canImport(Glibc)
import Glibc
#endif

enum SocketOptions {
    /// An integer socket option as the kernel reports it; nil if getsockopt fails.
    static func int(_ fd: Int32, _ level: Int32, _ name: Int32) -> Int32? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return unsafe getsockopt(fd, level, name, &value, &length) == 0 ? value : nil
    }

    /// The local port an IPv4 socket is bound to; nil if getsockname fails.
    static func localPort(_ fd: Int32) -> UInt16? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = unsafe withUnsafeMutablePointer(to: &address) { p in
            unsafe p.withMemoryRebound(to: sockaddr.self, capacity: 1) { unsafe getsockname(fd, $0, &length) }
        }
        return rc == 0 ? UInt16(bigEndian: address.sin_port) : nil
    }
}
