// Pointer code of the socket tests, fenced here: reading a socket's options, port and TCP counters.
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

    /// TCP segments the socket has sent, SYN and FIN included (`tcpi_segs_out` of Linux's
    /// `struct tcp_info`, at byte 136 since Linux 4.2; the layout only grows at its end).
    /// nil if the kernel's answer is too short to hold it.
    static func segmentsSent(_ fd: Int32) -> UInt32? {
        var info = [UInt8](repeating: 0, count: 256)
        var length = socklen_t(info.count)
        let rc = unsafe info.withUnsafeMutableBytes { unsafe getsockopt(fd, Int32(IPPROTO_TCP), TCP_INFO, $0.baseAddress, &length) }
        guard rc == 0, length >= 140 else { return nil }
        return unsafe info.withUnsafeBytes { unsafe $0.loadUnaligned(fromByteOffset: 136, as: UInt32.self) }
    }
}
