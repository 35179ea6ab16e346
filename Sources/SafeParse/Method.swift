/// A request method (RFC 9110 §9). Methods are case-sensitive tokens: `get` is not `GET`.
/// The registered ones are recognised; every other valid token is `.other`, and its exact
/// bytes are in `RequestHead.methodBytes`.
public enum Method: Sendable, Hashable {
    case get, head, post, put, delete, connect, options, trace, patch
    case other

    /// Recognises the method in `bytes[range]`, which must already be a valid token.
    static func recognise(_ bytes: Span<UInt8>, _ range: Range<Int>) -> Method {
        @inline(__always) func matches(_ word: String) -> Bool {
            ASCII.equals(bytes, range, word)
        }
        switch range.count {
        case 3: return matches("GET") ? .get : matches("PUT") ? .put : .other
        case 4: return matches("HEAD") ? .head : matches("POST") ? .post : .other
        case 5: return matches("TRACE") ? .trace : matches("PATCH") ? .patch : .other
        case 6: return matches("DELETE") ? .delete : .other
        case 7: return matches("CONNECT") ? .connect : matches("OPTIONS") ? .options : .other
        default: return .other
        }
    }

    /// Methods that are idempotent (RFC 9110 §9.2.2); `.other` is not known to be.
    public var isIdempotent: Bool {
        switch self {
        case .get, .head, .put, .delete, .options, .trace: true
        case .post, .connect, .patch, .other: false
        }
    }
}
