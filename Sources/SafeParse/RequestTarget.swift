/// The four forms of request-target (RFC 9112 §3.2), with ranges into `RequestHead.fields.bytes`.
public enum RequestTarget: Sendable, Hashable {
    /// `/path?query` (§3.2.1): requests addressed to this server itself.
    case origin(Range<Int>)
    /// `http://host:port/path?query` (§3.2.2): what proxy clients send.
    case absolute(AbsoluteURI)
    /// `host:port` (§3.2.3): CONNECT only.
    case authority(Authority)
    /// `*` (§3.2.4): server-wide OPTIONS only.
    case asterisk
}

/// How a message's body is delimited (RFC 9112 §6.3).
public enum BodyFraming: Sendable, Hashable {
    /// No body: no framing fields in a request; HEAD responses, 1xx, 204, 304.
    case none
    /// Exactly this many bytes.
    case contentLength(UInt64)
    /// Chunked transfer coding, with optional trailers.
    case chunked
    /// A response body that ends when the server closes the connection.
    case untilClose
    /// A 2xx answer to CONNECT: the connection becomes an opaque tunnel after the head.
    case tunnel
}

/// A parsed request head. Ranges index `fields.bytes`, which holds the head exactly as received.
public struct RequestHead: Sendable {
    public var method: Method
    public var methodRange: Range<Int>
    public var target: RequestTarget
    public var targetRange: Range<Int>
    public var version: HTTPVersion
    public var fields: HeaderFields
    public var framing: BodyFraming
    /// Index of the Host field in `fields`, if present (at most one is accepted).
    public var hostField: Int?

    /// The head exactly as received, start line to final CRLF.
    public var bytes: [UInt8] { fields.bytes }
    /// The method as received.
    public var methodBytes: ArraySlice<UInt8> { fields.bytes[methodRange] }
    /// The request-target as received.
    public var targetBytes: ArraySlice<UInt8> { fields.bytes[targetRange] }

    init() {
        method = .get
        methodRange = 0..<0
        target = .asterisk
        targetRange = 0..<0
        version = .http11
        fields = HeaderFields()
        framing = .none
        hostField = nil
    }
}

/// A parsed response head. Ranges index `fields.bytes`.
public struct ResponseHead: Sendable {
    public var version: HTTPVersion
    /// Status code, 100...999.
    public var status: Int
    public var reasonRange: Range<Int>
    public var fields: HeaderFields
    public var framing: BodyFraming

    /// True for 1xx: another response head follows for the same request (RFC 9110 §15.2).
    public var isInterim: Bool { status < 200 }
    public var bytes: [UInt8] { fields.bytes }
    public var reasonBytes: ArraySlice<UInt8> { fields.bytes[reasonRange] }

    init() {
        version = .http11
        status = 0
        reasonRange = 0..<0
        fields = HeaderFields()
        framing = .none
    }
}
