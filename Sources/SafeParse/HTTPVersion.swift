/// The HTTP versions SafeParse accepts (RFC 9112 §2.3). Anything else is rejected:
/// a well-formed `HTTP/x.y` of another version with `unsupportedVersion` (505),
/// anything malformed with `invalidVersion` (400).
public enum HTTPVersion: Sendable, Hashable {
    case http10
    case http11

    /// `HTTP/1.0` or `HTTP/1.1` as bytes, for serialization.
    public var text: StaticString {
        switch self {
        case .http10: "HTTP/1.0"
        case .http11: "HTTP/1.1"
        }
    }

    /// Parses the eight bytes at `start` (RFC 9112 §2.3: HTTP-version = "HTTP" "/" DIGIT "." DIGIT).
    static func parse(_ bytes: Span<UInt8>, at start: Int) throws(ParseError) -> HTTPVersion {
        guard start + 8 <= bytes.count,
              bytes[start] == 0x48, bytes[start + 1] == 0x54, bytes[start + 2] == 0x54,
              bytes[start + 3] == 0x50, bytes[start + 4] == ByteClass.slash,
              ByteClass.isDigit(bytes[start + 5]), bytes[start + 6] == 0x2E,
              ByteClass.isDigit(bytes[start + 7])
        else { throw .invalidVersion }
        switch (bytes[start + 5], bytes[start + 7]) {
        case (0x31, 0x30): return .http10
        case (0x31, 0x31): return .http11
        default: throw .unsupportedVersion
        }
    }
}
