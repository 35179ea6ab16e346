public import SafeParse

/// The primary cache key of a request (RFC 9111 §2): its target URI in normal form, scheme
/// and host lower-cased, the default port dropped, an empty path as "/" (see
/// `AbsoluteURI.normalized`). Path and query are kept byte for byte (no percent-decoding).
///
/// Only GET and HEAD requests have a key; a HEAD looks up the response stored for the GET of
/// the same URI (a cache may answer HEAD from a stored GET response, RFC 9110 §9.3.2).
public struct CacheKey: Sendable, Hashable, CustomStringConvertible {
    /// The normalized URI, e.g. `http://example.com/a?b`.
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The key of `head`; nil for methods other than GET and HEAD, and for targets that are not
    /// absolute-form URIs.
    public init?(request head: RequestHead) {
        guard head.method == .get || head.method == .head else { return nil }
        self.init(target: head)
    }

    /// The key of `head`'s target URI, whatever its method (for invalidation).
    init?(target head: RequestHead) {
        guard case .absolute(let uri) = head.target else { return nil }
        self.bytes = Self.normalized(uri, in: head.fields.bytes)
    }

    /// `AbsoluteURI.normalized` built as bytes (the same form, without a String per request;
    /// `CacheKeyTests` checks they agree).
    static func normalized(_ uri: AbsoluteURI, in bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(uri.pathAndQuery.upperBound - uri.schemeRange.lowerBound + 1)
        for i in uri.schemeRange { out.append(CacheBytes.lowercased(bytes[i])) }
        out.append(contentsOf: [0x3A, 0x2F, 0x2F])
        let authority = uri.authority
        if authority.isIPv6Literal { out.append(0x5B) }
        for i in authority.host { out.append(CacheBytes.lowercased(bytes[i])) }
        if authority.isIPv6Literal { out.append(0x5D) }
        if let port = authority.port, port != uri.scheme.defaultPort {
            out.append(0x3A)
            out.append(contentsOf: String(port).utf8)
        }
        if uri.pathAndQuery.isEmpty || bytes[uri.pathAndQuery.lowerBound] != 0x2F { out.append(0x2F) }
        out.append(contentsOf: bytes[uri.pathAndQuery])
        return out
    }

    /// The key of an absolute URI given as bytes; nil when it is not a valid absolute URI with an
    /// authority (a fragment is an error, as in a request-target).
    public init?(uri: [UInt8]) {
        guard let parsed = try? AbsoluteURI.parse(uri.span, 0..<uri.count) else { return nil }
        bytes = Array(parsed.normalized(in: uri.span).utf8)
    }

    public init?(uri: String) { self.init(uri: Array(uri.utf8)) }

    public var description: String { String(decoding: bytes, as: UTF8.self) }
}
