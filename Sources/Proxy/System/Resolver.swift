#if canImport(Glibc)
import Glibc
#endif

/// Name resolution with getaddrinfo (thread-safe). Runs on the `resolver-N` threads (and in
/// fork-model children) under their seccomp policies; see `SyscallRule.resolving`. Returns every address, IPv6 and IPv4,
/// in the order the resolver prefers, so the caller can try each in turn.
public enum Resolver {
    public struct Failure: Error, Sendable {
        /// gai_strerror text, e.g. "Name or service not known".
        public var message: String
    }

    public static func resolve(host: String, port: UInt16) -> Result<[SocketAddress], Failure> {
        if let numeric = SocketAddress(numericHost: host, port: port) { return .success([numeric]) }
        var hints = unsafe addrinfo()
        unsafe hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        unsafe hints.ai_family = AF_UNSPEC
        // No AI_ADDRCONFIG: it makes glibc open and bind a netlink socket on every lookup
        // to list the host's addresses, and the resolver's sandbox allows neither netlink nor
        // bind. An IPv6 answer on an IPv4-only host fails to connect at once and the next
        // address is tried.
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = unsafe getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0 else {
            return .failure(Failure(message: unsafe String(cString: gai_strerror(rc))))
        }
        defer { unsafe freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var cursor = unsafe list
        while let info = unsafe cursor {
            if let addr = unsafe info.pointee.ai_addr, let parsed = unsafe SocketAddress(storage: UnsafeRawPointer(addr)) {
                if !addresses.contains(parsed) { addresses.append(parsed) }
            }
            unsafe cursor = unsafe info.pointee.ai_next
        }
        if addresses.isEmpty { return .failure(Failure(message: "no address for host")) }
        return .success(addresses)
    }
}
