import Proxy
import SafeParse
import Testing

/// Heads for the cache policy tests, parsed by SafeParse from text with `\n` line ends.
enum CachePolicyFixtures {
    struct Unparsed: Error {}

    static func wire(_ text: String) -> [UInt8] {
        Array(text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n").utf8)
    }

    /// A request head: the request line and fields (one per line), e.g.
    /// `request("GET http://example.com/ HTTP/1.1", "Host: example.com")`.
    static func request(_ lines: String...) throws -> RequestHead { try request(lines) }

    static func request(_ lines: [String]) throws -> RequestHead {
        var parser = RequestParser()
        let bytes = wire(lines.joined(separator: "\n") + "\n\n")
        let step = try parser.parse(bytes.span)
        guard step.event == .headComplete else { throw Unparsed() }
        return parser.head
    }

    /// A GET of `uri` with extra field lines.
    static func get(_ uri: String = "http://example.com/a", _ fields: String...) throws -> RequestHead {
        try get(uri, fields)
    }

    static func get(_ uri: String, _ fields: [String]) throws -> RequestHead {
        var parser = RequestParser()
        let bytes = wire((["GET \(uri) HTTP/1.1", "Host: x"] + fields).joined(separator: "\n") + "\n\n")
        let step = try parser.parse(bytes.span)
        guard step.event == .headComplete else { throw Unparsed() }
        return parser.head
    }

    /// A response head: status line and fields.
    static func response(_ lines: String...) throws -> ResponseHead {
        try response(lines)
    }

    static func response(_ lines: [String]) throws -> ResponseHead {
        var parser = ResponseParser()
        parser.requestMethod = .head
        let bytes = wire(lines.joined(separator: "\n") + "\n\n")
        let step = try parser.parse(bytes.span)
        guard step.event == .headComplete else { throw Unparsed() }
        return parser.head
    }

    /// A stored head (complete, CRLF line ends) from lines.
    static func head(_ lines: String...) -> [UInt8] { wire(lines.joined(separator: "\n") + "\n\n") }

    static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.filter { $0 != 0x0D }, as: UTF8.self)
    }

    /// 2026-12-02 11:00:00 UTC, the "now" of most tests.
    static let t0: Int64 = 1_796_209_200
    static let t0Date = "Wed, 02 Dec 2026 11:00:00 GMT"

    /// A StoredResponse for `head` received at `t0` (request sent one second before).
    static func stored(_ lines: String..., requestTime: Int64 = t0 - 1, responseTime: Int64 = t0,
                       options: CachePolicyOptions = .default) throws -> StoredResponse {
        try stored(lines, requestTime: requestTime, responseTime: responseTime, options: options)
    }

    static func stored(_ lines: [String], requestTime: Int64 = t0 - 1, responseTime: Int64 = t0,
                       options: CachePolicyOptions = .default) throws -> StoredResponse {
        let bytes = wire(lines.joined(separator: "\n") + "\n\n")
        return try #require(StoredResponse(head: bytes, requestTime: requestTime, responseTime: responseTime, options: options))
    }
}
