public import SafeParse

/// A client's conditional GET or HEAD answered from a stored response (RFC 9111 §4.3.2,
/// RFC 9110 §13.2.2).
public enum ConditionalRequest {
    public enum Outcome: Sendable, Hashable {
        /// The condition matched: answer 304 (`notModifiedHead`).
        case notModified
        /// No condition, or it did not match: answer with the stored response.
        case fullResponse
        /// Preconditions meant for the origin (If-Match, If-Unmodified-Since, If-Range) are
        /// present: a cache does not evaluate them; forward the request.
        case forwardToOrigin
    }

    /// Evaluates the request's If-None-Match or, when it has none, If-Modified-Since against
    /// `stored`:
    /// - only for GET and HEAD, and only against a stored 200;
    /// - If-None-Match: `*` matches any stored response; a list matches when one of its tags
    ///   weakly matches the stored ETag; a malformed field does not match;
    /// - If-Modified-Since (ignored when If-None-Match is present, invalid, or repeated): matches
    ///   when the stored Last-Modified (else Date, else the time it was received) is not later.
    public static func evaluate(request: RequestHead, stored: StoredResponse) -> Outcome {
        guard request.method == .get || request.method == .head else { return .fullResponse }
        // Every field `evaluate` reads starts with "if-"; without one (most requests) the
        // answer is the stored response, and no view is built.
        guard request.fields.hasName(startingWith: ifPrefix) else { return .fullResponse }
        return evaluate(HeadView(request), stored: stored)
    }

    static let ifPrefix = Array("if-".utf8)

    static func evaluate(_ request: HeadView, stored: StoredResponse) -> Outcome {
        if request.contains("if-match") || request.contains("if-unmodified-since") || request.contains("if-range") {
            return .forwardToOrigin
        }
        guard stored.status == 200 else { return .fullResponse }
        let noneMatch = request.values(of: "if-none-match")
        if !noneMatch.isEmpty {
            return ifNoneMatchMatches(noneMatch, storedHead: stored.head) ? .notModified : .fullResponse
        }
        let since = request.values(of: "if-modified-since")
        guard since.count == 1, let date = HTTPDate.parse(since[0]) else { return .fullResponse }
        let modified = stored.lastModified ?? stored.date ?? stored.responseTime
        return modified <= date ? .notModified : .fullResponse
    }

    /// True when one of the If-None-Match values (`*` or entity-tag lists) matches the stored
    /// head's ETag by weak comparison.
    static func ifNoneMatchMatches(_ values: [ArraySlice<UInt8>], storedHead: [UInt8]) -> Bool {
        let etag = HeadView(storedHead: storedHead)?.first("etag").flatMap { EntityTag($0) }
        for value in values {
            switch EntityTag.parseCondition(value) {
            case .any?: return true
            case .tags(let tags)?:
                if let etag, tags.contains(where: { $0.weaklyMatches(etag) }) { return true }
            case nil: return false
            }
        }
        return false
    }

    /// Fields a 304 carries from the stored response (RFC 9110 §15.4.5), plus Last-Modified.
    public static let notModifiedFieldNames = ["cache-control", "content-location", "date", "etag", "expires", "vary", "last-modified"]

    /// A complete 304 head built from a stored head: `HTTP/1.1 304 Not Modified`, the stored
    /// fields named in `notModifiedFieldNames` in their order, the empty line. nil when the
    /// stored head cannot be read. Send it with `CachedHead.forSending` (Age, X-Proxy-Cache).
    public static func notModifiedHead(storedHead: [UInt8]) -> [UInt8]? {
        guard let view = HeadView(storedHead: storedHead) else { return nil }
        var out = Array("HTTP/1.1 304 Not Modified\r\n".utf8)
        for i in view.fields.indices where notModifiedFieldNames.contains(where: { view.isNamed(i, $0) }) {
            out.append(contentsOf: view.line(i))
        }
        out.append(contentsOf: CacheBytes.crlf)
        return out
    }
}
