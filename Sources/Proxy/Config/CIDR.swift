/// An address block such as 127.0.0.0/8 or ::1/128, for client access rules.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    /// Network bytes (4 for IPv4, 16 for IPv6) and prefix length in bits.
    public let network: [UInt8]
    public let prefixLength: Int

    /// 127.0.0.0/8 and ::1/128: the default, as Squid ships.
    public static let loopback: [CIDR] = [CIDR("127.0.0.0/8"), CIDR("::1/128")].compactMap { $0 }

    /// Parses "a.b.c.d/n", "x::y/n" or a bare address (a /32 or /128).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = SocketAddress(numericHost: String(parts[0]), port: 0) else { return nil }
        let bytes = CIDR.bytes(of: address)
        var length = bytes.count * 8
        if parts.count == 2 {
            guard let n = Int(parts[1]), n >= 0, n <= bytes.count * 8 else { return nil }
            length = n
        }
        network = CIDR.masked(bytes, length)
        prefixLength = length
    }

    /// True when `address` lies in this block. An IPv4-mapped IPv6 client (::ffff:a.b.c.d)
    /// matches IPv4 blocks.
    public func contains(_ address: SocketAddress) -> Bool {
        var bytes = CIDR.bytes(of: address)
        if bytes.count == 16 && network.count == 4 && bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            bytes = Array(bytes[12..<16])
        }
        guard bytes.count == network.count else { return false }
        return CIDR.masked(bytes, prefixLength) == network
    }

    public var description: String {
        let host = network.count == 4
            ? network.map(String.init).joined(separator: ".")
            : (SocketAddress.v6(address: network, port: 0, scope: 0)).host
        return "\(host)/\(prefixLength)"
    }

    static func bytes(of address: SocketAddress) -> [UInt8] {
        switch address {
        case .v4(let a, _): [UInt8(a >> 24), UInt8((a >> 16) & 0xFF), UInt8((a >> 8) & 0xFF), UInt8(a & 0xFF)]
        case .v6(let a, _, _): a
        }
    }

    static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { i, b in
            let bits = max(0, min(8, length - i * 8))
            return bits == 8 ? b : b & UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
    }
}
