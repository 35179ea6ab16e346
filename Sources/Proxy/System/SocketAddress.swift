#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 socket address, stored by value (no pointers escape this file).
public enum SocketAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(address: UInt32, port: UInt16)            // address in host byte order
    case v6(address: [UInt8], port: UInt16, scope: UInt32) // 16 bytes

    public var port: UInt16 {
        switch self {
        case .v4(_, let port), .v6(_, let port, _): port
        }
    }

    /// "127.0.0.1:54321" or "[::1]:54321".
    public var description: String {
        switch self {
        case .v4: "\(host):\(port)"
        case .v6: "[\(host)]:\(port)"
        }
    }

    /// The address alone, in text form.
    public var host: String {
        switch self {
        case .v4(let a, _):
            return "\(a >> 24).\((a >> 16) & 0xFF).\((a >> 8) & 0xFF).\(a & 0xFF)"
        case .v6(let bytes, _, _):
            var storage = in6_addr()
            unsafe withUnsafeMutableBytes(of: &storage) { raw in
                for i in 0..<16 { unsafe raw[i] = bytes[i] }
            }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let ok = unsafe text.withUnsafeMutableBufferPointer { buf in
                unsafe inet_ntop(AF_INET6, &storage, buf.baseAddress, socklen_t(INET6_ADDRSTRLEN)) != nil
            }
            guard ok else { return "::" }
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    public var family: Int32 {
        switch self {
        case .v4: AF_INET
        case .v6: AF_INET6
        }
    }

    /// Parses a numeric IPv4 or IPv6 address (no brackets) and a port.
    public init?(numericHost: String, port: UInt16) {
        var v4 = in_addr()
        if unsafe inet_pton(AF_INET, numericHost, &v4) == 1 {
            self = .v4(address: UInt32(bigEndian: v4.s_addr), port: port)
            return
        }
        var v6 = in6_addr()
        if unsafe inet_pton(AF_INET6, numericHost, &v6) == 1 {
            let bytes = unsafe withUnsafeBytes(of: &v6) { unsafe Array($0) }
            self = .v6(address: bytes, port: port, scope: 0)
            return
        }
        return nil
    }

    /// Calls `body` with a `sockaddr` for this address.
    func withSockAddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        switch self {
        case .v4(let address, let port):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = address.bigEndian
            return unsafe withUnsafePointer(to: &sin) { p in
                unsafe p.withMemoryRebound(to: sockaddr.self, capacity: 1) { unsafe body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(let address, let port, let scope):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_scope_id = scope
            unsafe withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for i in 0..<16 { unsafe raw[i] = address[i] }
            }
            return unsafe withUnsafePointer(to: &sin6) { p in
                unsafe p.withMemoryRebound(to: sockaddr.self, capacity: 1) { unsafe body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    /// Reads a `sockaddr_storage` filled by accept/getaddrinfo.
    init?(storage: UnsafeRawPointer) {
        let family = unsafe storage.load(as: sockaddr.self).sa_family
        switch Int32(family) {
        case AF_INET:
            let sin = unsafe storage.loadUnaligned(as: sockaddr_in.self)
            self = .v4(address: UInt32(bigEndian: sin.sin_addr.s_addr), port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            var sin6 = unsafe storage.loadUnaligned(as: sockaddr_in6.self)
            let bytes = unsafe withUnsafeBytes(of: &sin6.sin6_addr) { unsafe Array($0) }
            self = .v6(address: bytes, port: UInt16(bigEndian: sin6.sin6_port), scope: sin6.sin6_scope_id)
        default:
            return nil
        }
    }
}
