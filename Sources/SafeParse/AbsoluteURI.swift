/// An absolute-form request-target (RFC 9112 §3.2.2), as ranges into the bytes it was parsed from:
/// `scheme "://" authority path-abempty [ "?" query ]`.
///
/// Only hierarchical URIs with an authority are accepted (a proxy needs a host to connect to);
/// fragments are rejected because a request-target never carries one.
public struct AbsoluteURI: Sendable, Hashable {
    public enum Scheme: Sendable, Hashable {
        case http, https, other
        /// The scheme's default port (RFC 9110 §4.2), if it has one we know.
        public var defaultPort: UInt16? {
            switch self {
            case .http: 80
            case .https: 443
            case .other: nil
            }
        }
    }

    public var scheme: Scheme
    public var schemeRange: Range<Int>
    public var authority: Authority
    /// Path and query. Empty when the URI has neither (which means "/" when sent in origin-form).
    public var pathAndQuery: Range<Int>

    /// Parses `bytes[range]` as an absolute URI with an authority.
    public static func parse(_ bytes: Span<UInt8>, _ range: Range<Int>) throws(ParseError) -> AbsoluteURI {
        // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )   (RFC 3986 §3.1)
        var i = range.lowerBound
        guard i < range.upperBound, ByteClass.isAlpha(bytes[i]) else { throw .invalidRequestTarget }
        while i < range.upperBound {
            let b = bytes[i]
            if ByteClass.isAlpha(b) || ByteClass.isDigit(b) || b == 0x2B || b == 0x2D || b == 0x2E { i += 1; continue }
            break
        }
        let schemeRange = range.lowerBound..<i
        // "://" introduces the authority (RFC 3986 §3.2)
        guard range.upperBound - i >= 3, bytes[i] == ByteClass.colon, bytes[i + 1] == ByteClass.slash,
              bytes[i + 2] == ByteClass.slash
        else { throw .invalidRequestTarget }
        let authorityStart = i + 3
        var authorityEnd = authorityStart
        while authorityEnd < range.upperBound {
            let b = bytes[authorityEnd]
            if b == ByteClass.slash || b == 0x3F { break }
            authorityEnd += 1
        }
        if Scan.firstIndex(of: 0x23, in: bytes, authorityEnd..<range.upperBound) != nil { throw .invalidRequestTarget } // "#"
        let authority = try Authority.parse(bytes, authorityStart..<authorityEnd)
        let scheme: Scheme = ASCII.equalsIgnoringCase(bytes, schemeRange, "http") ? .http
            : ASCII.equalsIgnoringCase(bytes, schemeRange, "https") ? .https : .other
        return AbsoluteURI(scheme: scheme, schemeRange: schemeRange, authority: authority,
                           pathAndQuery: authorityEnd..<range.upperBound)
    }

    /// Normalized `scheme://host[:port]path?query` (scheme and host lower-cased, default port
    /// dropped, empty path as "/"), for cache keys.
    public func normalized(in bytes: Span<UInt8>) -> String {
        var out = ""
        for i in schemeRange { out.unicodeScalars.append(Unicode.Scalar(ByteClass.lowercased(bytes[i]))) }
        out += "://"
        out += authority.normalized(in: bytes, defaultPort: scheme.defaultPort)
        if pathAndQuery.isEmpty || bytes[pathAndQuery.lowerBound] != ByteClass.slash { out += "/" }
        var path: [UInt8] = []
        path.reserveCapacity(pathAndQuery.count)
        for i in pathAndQuery { path.append(bytes[i]) }
        out += String(decoding: path, as: UTF8.self)
        return out
    }
}
