/// An authority `host[:port]` (RFC 3986 §3.2), as ranges into the bytes it was parsed from.
///
/// Strict by design: userinfo is an error (RFC 9110 §4.2.4), a reg-name may hold only
/// unreserved characters (no percent-encoding, no sub-delims), an IP-literal must be a valid
/// IPv6 address (no zone identifiers, no IPvFuture), and a port must be 1...65535.
public struct Authority: Sendable, Hashable {
    /// The host, without the brackets of an IPv6 literal.
    public var host: Range<Int>
    /// The port, or nil when absent or empty (`host:`), which means the scheme's default.
    public var port: UInt16?
    /// True for `[IPv6]` hosts.
    public var isIPv6Literal: Bool

    /// Longest host accepted (the DNS limit for a name in text form is 253).
    public static let maxHostBytes = 255

    /// Parses `bytes[range]` as `uri-host [ ":" port ]`; with `requirePort`, as authority-form
    /// (`uri-host ":" port`, RFC 9112 §3.2.3).
    public static func parse(_ bytes: Span<UInt8>, _ range: Range<Int>, requirePort: Bool = false) throws(ParseError) -> Authority {
        guard !range.isEmpty else { throw .invalidHost }
        if Scan.firstIndex(of: 0x40, in: bytes, range) != nil { throw .userinfoInURI } // "@": RFC 9110 §4.2.4
        var hostRange: Range<Int>
        var isIPv6 = false
        var rest: Int // index just past the host (and its closing bracket)
        if bytes[range.lowerBound] == 0x5B { // "[" IP-literal, RFC 3986 §3.2.2
            var close = range.lowerBound + 1
            while close < range.upperBound && bytes[close] != 0x5D { close += 1 }
            guard close < range.upperBound else { throw .invalidHost }
            hostRange = (range.lowerBound + 1)..<close
            guard IPv6.isValid(bytes, hostRange) else { throw .invalidHost }
            isIPv6 = true
            rest = close + 1
        } else {
            let end = Scan.unreservedEnd(in: bytes, range)
            if end < range.upperBound && bytes[end] != ByteClass.colon { throw .invalidHost }
            hostRange = range.lowerBound..<end
            rest = end
        }
        guard !hostRange.isEmpty, hostRange.count <= maxHostBytes else { throw .invalidHost }
        var port: UInt16?
        if rest < range.upperBound {
            guard bytes[rest] == ByteClass.colon else { throw .invalidHost }
            let digits = (rest + 1)..<range.upperBound
            if !digits.isEmpty {
                guard case .value(let value) = ASCII.parseDecimal(bytes, digits), value >= 1, value <= 65535 else {
                    throw .invalidPort
                }
                port = UInt16(value)
            }
        }
        if requirePort && port == nil { throw .invalidPort }
        return Authority(host: hostRange, port: port, isIPv6Literal: isIPv6)
    }

    /// The port to connect to: the explicit one, else `defaultPort`.
    public func effectivePort(default defaultPort: UInt16) -> UInt16 { port ?? defaultPort }

    /// Normal form per RFC 3986 §6.2.2–6.2.3: host lower-cased, IPv6 in brackets, and the port
    /// omitted when it equals `defaultPort`. Used for cache keys and comparisons.
    public func normalized(in bytes: Span<UInt8>, defaultPort: UInt16?) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(host.count + 8)
        if isIPv6Literal { out.append(0x5B) }
        for i in host { out.append(ByteClass.lowercased(bytes[i])) }
        if isIPv6Literal { out.append(0x5D) }
        if let port, port != defaultPort {
            out.append(ByteClass.colon)
            out.append(contentsOf: String(port).utf8)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The host alone, lower-cased, without brackets (what a resolver is given).
    public func normalizedHost(in bytes: Span<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(host.count)
        for i in host { out.append(ByteClass.lowercased(bytes[i])) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// RFC 3986 §3.2.2 IPv6address validation, without zone identifiers.
enum IPv6 {
    static func isValid(_ bytes: Span<UInt8>, _ range: Range<Int>) -> Bool {
        var groups = 0          // 16-bit groups seen (an embedded IPv4 counts as two)
        var sawDoubleColon = false
        var i = range.lowerBound
        let end = range.upperBound
        if end - i >= 2 && bytes[i] == ByteClass.colon && bytes[i + 1] == ByteClass.colon {
            sawDoubleColon = true
            i += 2
            if i == end { return true } // "::"
        } else if i < end && bytes[i] == ByteClass.colon {
            return false
        }
        while i < end {
            // One group: 1-4 hex digits, or a dotted IPv4 as the last piece.
            let start = i
            while i < end && ByteClass.hexValue(bytes[i]) != nil && i - start < 4 { i += 1 }
            if i < end && bytes[i] == 0x2E { // "." : this piece is an IPv4 address
                guard isIPv4(bytes, start..<end) else { return false }
                groups += 2
                i = end
                break
            }
            guard i > start else { return false }
            groups += 1
            if i == end { break }
            guard bytes[i] == ByteClass.colon else { return false }
            i += 1
            if i < end && bytes[i] == ByteClass.colon {
                if sawDoubleColon { return false }
                sawDoubleColon = true
                i += 1
                if i == end { break }
            } else if i == end {
                return false // trailing single colon
            }
        }
        return sawDoubleColon ? groups <= 7 : groups == 8
    }

    /// Dotted-decimal IPv4 (four octets 0...255, no leading zeros beyond a single "0").
    static func isIPv4(_ bytes: Span<UInt8>, _ range: Range<Int>) -> Bool {
        var octets = 0
        var i = range.lowerBound
        while i < range.upperBound {
            let start = i
            var value = 0
            while i < range.upperBound && ByteClass.isDigit(bytes[i]) && i - start < 3 {
                value = value * 10 + Int(bytes[i] &- 0x30)
                i += 1
            }
            let digits = i - start
            guard digits > 0, value <= 255, !(digits > 1 && bytes[start] == 0x30) else { return false }
            octets += 1
            if i == range.upperBound { break }
            guard bytes[i] == 0x2E, octets < 4 else { return false }
            i += 1
            if i == range.upperBound { return false }
        }
        return octets == 4
    }
}
