import Proxy
import SafeParse
import Testing

@Suite struct CachePolicyConditionalTests {
    typealias F = CachePolicyFixtures
    static let lm = "Sun, 06 Nov 1994 08:49:37 GMT"

    @Test("entity-tag comparison (RFC 9110 §8.8.3.2)", arguments: [
        ("W/\"1\"", "W/\"1\"", false, true),
        ("W/\"1\"", "W/\"2\"", false, false),
        ("W/\"1\"", "\"1\"", false, true),
        ("\"1\"", "\"1\"", true, true),
        ("\"1\"", "\"2\"", false, false),
    ])
    func comparison(_ a: String, _ b: String, _ strong: Bool, _ weak: Bool) throws {
        let x = try #require(EntityTag(a)), y = try #require(EntityTag(b))
        #expect(x.stronglyMatches(y) == strong)
        #expect(x.weaklyMatches(y) == weak)
    }

    @Test("entity-tag syntax", arguments: ["", "1", "\"1", "w/\"1\"", "W/1", "\"a\"b\"", "\" \"", "W/"])
    func badTags(_ text: String) {
        #expect(EntityTag(text) == nil)
    }

    @Test("If-None-Match values", arguments: [
        ("*", EntityTag.Condition?.some(.any)),
        (" * ", .any),
        ("\"a\", W/\"b\"", .tags([EntityTag(isWeak: false, opaqueTag: Array("\"a\"".utf8)), EntityTag(isWeak: true, opaqueTag: Array("\"b\"".utf8))])),
        ("\"a,b\"", .tags([EntityTag(isWeak: false, opaqueTag: Array("\"a,b\"".utf8))])),   // a comma inside a tag
        ("\"a\\\"", .tags([EntityTag(isWeak: false, opaqueTag: Array("\"a\\\"".utf8))])),   // a backslash is an etagc
        (",\"a\",,", .tags([EntityTag(isWeak: false, opaqueTag: Array("\"a\"".utf8))])),
        ("*, \"a\"", nil), ("a", nil), ("\"a\" \"b\"", nil), ("", nil), ("\"a", nil),
    ])
    func conditions(_ text: String, _ expected: EntityTag.Condition?) {
        #expect(EntityTag.parseCondition(Array(text.utf8)) == expected)
    }

    /// (stored fields, request fields, outcome)
    static let cases: [([String], [String], ConditionalRequest.Outcome)] = [
        (["ETag: \"v1\""], [], .fullResponse),
        (["ETag: \"v1\""], ["If-None-Match: \"v1\""], .notModified),
        (["ETag: \"v1\""], ["If-None-Match: W/\"v1\""], .notModified),            // weak comparison
        (["ETag: W/\"v1\""], ["If-None-Match: \"v1\""], .notModified),
        (["ETag: \"v1\""], ["If-None-Match: \"v0\", \"v1\""], .notModified),
        (["ETag: \"v1\""], ["If-None-Match: \"v0\"", "If-None-Match: \"v1\""], .notModified),
        (["ETag: \"v1\""], ["If-None-Match: \"v2\""], .fullResponse),
        (["ETag: \"v1\""], ["If-None-Match: *"], .notModified),
        ([], ["If-None-Match: *"], .notModified),                                  // any stored representation
        ([], ["If-None-Match: \"v1\""], .fullResponse),
        (["ETag: \"v1\""], ["If-None-Match: v1"], .fullResponse),                  // malformed: no match
        // If-None-Match present: If-Modified-Since is ignored
        (["ETag: \"v1\"", "Last-Modified: \(lm)"], ["If-None-Match: \"v2\"", "If-Modified-Since: \(lm)"], .fullResponse),
        // If-Modified-Since against Last-Modified
        (["Last-Modified: \(lm)"], ["If-Modified-Since: \(lm)"], .notModified),
        (["Last-Modified: \(lm)"], ["If-Modified-Since: Sun, 06 Nov 1994 08:49:38 GMT"], .notModified),
        (["Last-Modified: \(lm)"], ["If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT"], .fullResponse),
        (["Last-Modified: \(lm)"], ["If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT"], .notModified),
        (["Last-Modified: \(lm)"], ["If-Modified-Since: yesterday"], .fullResponse), // invalid: ignored
        (["Last-Modified: \(lm)"], ["If-Modified-Since: \(lm)", "If-Modified-Since: \(lm)"], .fullResponse),
        // without Last-Modified, the Date (else the time it was received) stands in (§4.3.2)
        (["Date: \(lm)"], ["If-Modified-Since: \(lm)"], .notModified),
        ([], ["If-Modified-Since: \(F.t0Date)"], .notModified),
        ([], ["If-Modified-Since: \(lm)"], .fullResponse),
        // preconditions for the origin
        (["ETag: \"v1\""], ["If-Match: \"v1\""], .forwardToOrigin),
        (["ETag: \"v1\""], ["If-None-Match: \"v1\"", "If-Unmodified-Since: \(lm)"], .forwardToOrigin),
        (["ETag: \"v1\""], ["If-Range: \"v1\""], .forwardToOrigin),
    ]

    @Test("a client's conditional GET against a stored 200 (RFC 9110 §13.2.2)", arguments: cases.indices)
    func conditional(_ index: Int) throws {
        let (storedFields, requestFields, outcome) = Self.cases[index]
        let stored = try F.stored(["HTTP/1.1 200 OK"] + storedFields)
        #expect(ConditionalRequest.evaluate(request: try F.get("http://example.com/a", requestFields), stored: stored) == outcome)
    }

    @Test("only a stored 200 answers 304, only to GET and HEAD")
    func only200() throws {
        let notFound = try F.stored("HTTP/1.1 404 Not Found", "ETag: \"v1\"")
        #expect(ConditionalRequest.evaluate(request: try F.get("http://example.com/a", "If-None-Match: \"v1\""), stored: notFound) == .fullResponse)
        let ok = try F.stored("HTTP/1.1 200 OK", "ETag: \"v1\"")
        let head = try F.request("HEAD http://example.com/a HTTP/1.1", "Host: x", "If-None-Match: \"v1\"")
        #expect(ConditionalRequest.evaluate(request: head, stored: ok) == .notModified)
        let post = try F.request("POST http://example.com/a HTTP/1.1", "Host: x", "If-None-Match: \"v1\"", "Content-Length: 0")
        #expect(ConditionalRequest.evaluate(request: post, stored: ok) == .fullResponse)
    }

    @Test("the 304 keeps Cache-Control, Content-Location, Date, ETag, Expires, Vary, Last-Modified")
    func notModifiedHead() throws {
        let stored = F.head("HTTP/1.1 200 OK", "Date: \(F.t0Date)", "Content-Type: text/html", "Content-Length: 5",
                            "ETag: \"v1\"", "Cache-Control: max-age=60", "Vary: Accept-Encoding", "Content-Location: /a.html",
                            "Expires: 0", "Last-Modified: \(Self.lm)", "Set-Cookie: a=b", "Content-Encoding: gzip")
        let head = try #require(ConditionalRequest.notModifiedHead(storedHead: stored))
        #expect(F.text(head) == """
            HTTP/1.1 304 Not Modified
            Date: \(F.t0Date)
            ETag: "v1"
            Cache-Control: max-age=60
            Vary: Accept-Encoding
            Content-Location: /a.html
            Expires: 0
            Last-Modified: \(Self.lm)


            """)
        #expect(ConditionalRequest.notModifiedHead(storedHead: Array("nonsense".utf8)) == nil)
    }
}
