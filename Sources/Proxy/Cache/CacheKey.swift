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
        let bytes = head.fields.bytes
        self.bytes = Array(uri.normalized(in: bytes.span).utf8)
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
