import Proxy
import SafeParse
import Testing

@Suite struct CachePolicyStorabilityTests {
    typealias F = CachePolicyFixtures

    /// (request fields, response lines, nil when storable, else the reason)
    static let cases: [([String], [String], String?)] = [
        ([], ["HTTP/1.1 200 OK", "Cache-Control: max-age=60"], nil),
        ([], ["HTTP/1.1 200 OK"], nil),                                         // heuristically cacheable status
        ([], ["HTTP/1.1 404 Not Found"], nil),
        ([], ["HTTP/1.1 410 Gone"], nil),
        ([], ["HTTP/1.1 302 Found"], "no explicit freshness and status 302 is not heuristically cacheable"),
        ([], ["HTTP/1.1 302 Found", "Cache-Control: max-age=60"], nil),
        ([], ["HTTP/1.1 302 Found", "Expires: 0"], nil),                        // Expires, even invalid, is explicit
        ([], ["HTTP/1.1 500 Oops"], "no explicit freshness and status 500 is not heuristically cacheable"),
        ([], ["HTTP/1.1 500 Oops", "Cache-Control: public"], nil),
        ([], ["HTTP/1.1 503 Busy", "Cache-Control: s-maxage=5"], nil),
        ([], ["HTTP/1.1 100 Continue"], "interim response"),
        ([], ["HTTP/1.1 304 Not Modified"], "304 refreshes a stored response"),
        ([], ["HTTP/1.1 206 Partial Content", "Content-Range: bytes 0-1/10"], "partial content is not stored"),
        (["Range: bytes=0-1"], ["HTTP/1.1 200 OK"], "range request"),
        ([], ["HTTP/1.1 200 OK", "Cache-Control: no-store, max-age=60"], "response no-store"),
        ([], ["HTTP/1.1 200 OK", "Cache-Control: max-age=60", "Cache-Control: no-store"], "response no-store"),
        (["Cache-Control: no-store"], ["HTTP/1.1 200 OK", "Cache-Control: max-age=60"], "request no-store"),
        ([], ["HTTP/1.1 200 OK", "Cache-Control: private, max-age=60"], "response private"),
        ([], ["HTTP/1.1 200 OK", "Cache-Control: private=\"Set-Cookie\", max-age=60"], "response private"),
        (["Authorization: Basic eA=="], ["HTTP/1.1 200 OK", "Cache-Control: max-age=60"],
         "Authorization without public, must-revalidate or s-maxage"),
        (["Authorization: Basic eA=="], ["HTTP/1.1 200 OK", "Cache-Control: public"], nil),
        (["Authorization: Basic eA=="], ["HTTP/1.1 200 OK", "Cache-Control: must-revalidate"], nil),
        (["Authorization: Basic eA=="], ["HTTP/1.1 200 OK", "Cache-Control: s-maxage=10"], nil),
        ([], ["HTTP/1.1 200 OK", "Vary: Accept-Encoding, *"], "Vary: *"),
        ([], ["HTTP/1.1 200 OK", "Vary: Accept-Encoding"], nil),
        ([], ["HTTP/1.1 200 OK", "Cache-Control: no-cache"], nil),              // stored, validated on each use
        ([], ["HTTP/1.1 200 OK", "Cache-Control: must-understand, no-store"], nil), // understood: no-store is overridden
        ([], ["HTTP/1.1 299 New", "Cache-Control: must-understand, no-store, max-age=9"], "must-understand with status 299"),
        (["Cache-Control: no-cache"], ["HTTP/1.1 200 OK"], nil),               // request no-cache does not prevent storing
        ([], ["HTTP/1.1 200 OK", "Cache-Control: public, max-age=60", "Set-Cookie: id=1"], "Set-Cookie"),
    ]

    @Test("storability of responses to GET (RFC 9111 §3)", arguments: cases.indices)
    func storability(_ index: Int) throws {
        let (requestFields, responseLines, reason) = Self.cases[index]
        var fields = requestFields
        fields.insert("Host: example.com", at: 0)
        let request = try F.request(["GET http://example.com/ HTTP/1.1"] + fields)
        let response = try F.response(responseLines)
        let decision = Storability.evaluate(request: request, response: response, responseTime: F.t0)
        if let reason {
            #expect(decision == .doNotStore(reason: reason))
        } else {
            #expect(decision.isStorable, "\(decision)")
        }
    }

    @Test("only GET responses are stored", arguments: ["HEAD", "POST", "PUT", "OPTIONS"])
    func methods(_ method: String) throws {
        let request = try F.request("\(method) http://example.com/ HTTP/1.1", "Host: example.com", "Content-Length: 0")
        let response = try F.response("HTTP/1.1 200 OK", "Cache-Control: max-age=60")
        #expect(Storability.evaluate(request: request, response: response, responseTime: F.t0) == .doNotStore(reason: "request method is not GET"))
    }

    @Test("the stored lifetime comes with the decision")
    func lifetimes() throws {
        let request = try F.get()
        let explicit = try F.response("HTTP/1.1 200 OK", "Cache-Control: max-age=60, s-maxage=90")
        #expect(Storability.evaluate(request: request, response: explicit, responseTime: F.t0) == .store(FreshnessLifetime(seconds: 90, source: .sMaxAge)))
        // Storable but without any freshness information: lifetime 0, unless a default is configured.
        let bare = try F.response("HTTP/1.1 200 OK")
        #expect(Storability.evaluate(request: request, response: bare, responseTime: F.t0) == .store(FreshnessLifetime(seconds: 0, source: .none)))
        var options = CachePolicyOptions()
        options.defaultLifetime = 120
        #expect(Storability.evaluate(request: request, response: bare, responseTime: F.t0, options: options)
            == .store(FreshnessLifetime(seconds: 120, source: .defaultLifetime)))
    }

    @Test("Set-Cookie responses are stored only when the operator allows it")
    func setCookie() throws {
        let request = try F.get()
        let response = try F.response("HTTP/1.1 200 OK", "Cache-Control: max-age=60", "Set-Cookie: session=abc")
        #expect(Storability.evaluate(request: request, response: response, responseTime: F.t0) == .doNotStore(reason: "Set-Cookie"))
        var options = CachePolicyOptions()
        options.storeSetCookie = true
        #expect(Storability.evaluate(request: request, response: response, responseTime: F.t0, options: options)
            == .store(FreshnessLifetime(seconds: 60, source: .maxAge)))
    }
}
