import Proxy
import SafeParse
import Testing

@Suite struct CachePolicyVaryTests {
    typealias F = CachePolicyFixtures

    static func variant(_ vary: [String], _ requestFields: [String]) throws -> String? {
        let response = try F.response(["HTTP/1.1 200 OK"] + vary)
        let request = try F.get("http://example.com/a", requestFields)
        return VaryKey.variant(response: response, request: request).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("variant bytes name the request's values in Vary's order, normalized", arguments: [
        ([String](), [String](), String?.some("")),
        (["Vary: Accept-Encoding"], ["Accept-Encoding: gzip"], "accept-encoding: gzip\n"),
        (["Vary: accept-encoding, ACCEPT-LANGUAGE"], ["Accept-Language: en", "Accept-Encoding: br"], "accept-encoding: br\naccept-language: en\n"),
        (["Vary: Accept-Encoding", "Vary: Accept-Language"], ["Accept-Encoding: br"], "accept-encoding: br\naccept-language\n"),
        (["Vary: Accept-Encoding, accept-encoding"], ["Accept-Encoding: br"], "accept-encoding: br\n"),
        (["Vary: X-Empty"], ["X-Empty:"], "x-empty: \n"),                                   // empty, not missing
        (["Vary: X-Missing"], [], "x-missing\n"),
        (["Vary: Accept"], ["Accept: text/html ,  text/plain;q=0.5"], "accept: text/html, text/plain;q=0.5\n"),
        (["Vary: Accept"], ["Accept: text/html", "Accept: text/plain"], "accept: text/html, text/plain\n"),
        (["Vary: User-Agent"], ["User-Agent: A   b\tc"], "user-agent: A b c\n"),
        (["Vary: X-Q"], ["X-Q: \"a  b\""], "x-q: \"a  b\"\n"),                              // quoted text kept
        (["Vary: *"], [], nil),
        (["Vary: Accept, *"], [], nil),
    ])
    func variants(_ vary: [String], _ requestFields: [String], _ expected: String?) throws {
        #expect(try Self.variant(vary, requestFields) == expected)
    }

    /// (Vary, the first request's fields, a later request's fields, same variant)
    static let matchCases: [([String], [String], [String], Bool)] = [
        ([], ["Accept: a"], ["Accept: b"], true),                                     // no Vary: always
        (["Vary: Accept"], ["Accept: a"], ["accept: a"], true),                       // names ignore case
        (["Vary: Accept"], ["Accept: a"], ["Accept: A"], false),                      // values do not
        (["Vary: Accept"], ["Accept: a, b"], ["Accept: a", "Accept: b"], true),       // combined lines
        (["Vary: Accept"], ["Accept: a,b"], ["Accept:  a ,  b "], true),              // whitespace normalized
        (["Vary: Accept"], ["Accept: b, a"], ["Accept: a, b"], false),                // order matters
        (["Vary: Accept"], [], ["Accept:"], false),                                   // missing is not empty
        (["Vary: Accept"], [], [], true),
        (["Vary: Accept"], ["Accept:"], ["Accept:"], true),
        (["Vary: Accept, Cookie"], ["Accept: a", "Cookie: x=1"], ["Cookie: x=1", "Accept: a"], true),
        (["Vary: Accept, Cookie"], ["Accept: a", "Cookie: x=1"], ["Accept: a", "Cookie: x=2"], false),
        (["Vary: Accept"], ["Accept: a", "Cookie: x=1"], ["Accept: a", "Cookie: x=2"], true), // fields not named don't count
    ]

    @Test("a request matches a stored variant when the named fields agree (§4.1)", arguments: matchCases.indices)
    func matching(_ index: Int) throws {
        let (vary, first, later, same) = Self.matchCases[index]
        let response = try F.response(["HTTP/1.1 200 OK"] + vary)
        let stored = try #require(VaryKey.variant(response: response, request: try F.get("http://example.com/a", first)))
        #expect(VaryKey.matches(request: try F.get("http://example.com/a", later), variant: stored) == same)
    }

    @Test("names can be read back from a variant; garbage never matches")
    func names() throws {
        #expect(VaryKey.names(inVariant: Array("accept: a\nx-missing\n".utf8)) == [Array("accept".utf8), Array("x-missing".utf8)])
        #expect(VaryKey.names(inVariant: []) == [])
        #expect(VaryKey.names(inVariant: Array("accept: a".utf8)) == nil)
        #expect(VaryKey.names(inVariant: Array("\n".utf8)) == nil)
        #expect(!VaryKey.matches(request: try F.get(), variant: Array("bad name: x\n".utf8)))
    }
}
