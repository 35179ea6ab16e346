import Proxy
import SafeParse
import Testing

@Suite struct CachePolicyLookupTests {
    typealias F = CachePolicyFixtures
    static let lm = "Sun, 06 Nov 1994 08:49:37 GMT"
    static let inm = "If-None-Match: \"a\"\r\n"
    static let ims = "If-Modified-Since: \(lm)\r\n"

    static func validate(_ age: Int64, _ fields: String = inm) -> CacheLookupDecision {
        .staleNeedsValidation(age: age, validators: Array(fields.utf8))
    }

    /// (stored response's fields, request fields, seconds since it was received = its age, decision)
    /// Computed, not stored: LeakSanitizer cannot trace the arrays inside a stored static of
    /// multi-payload enums and reports them as leaked.
    static var cases: [([String], [String], Int64, CacheLookupDecision)] { [
        (["Cache-Control: max-age=100"], [], 50, .fresh(age: 50)),
        (["Cache-Control: max-age=100"], [], 100, .staleWithoutValidators),       // fresh means lifetime > age
        (["Cache-Control: max-age=100", "ETag: \"a\""], [], 150, validate(150)),
        (["Cache-Control: max-age=100", "ETag: \"a\"", "Last-Modified: \(lm)"], [], 150, validate(150, inm + ims)),
        (["Cache-Control: max-age=100", "Last-Modified: \(lm)"], [], 150, validate(150, ims)),
        (["Cache-Control: max-age=100", "ETag: W/\"a\""], [], 150, validate(150, "If-None-Match: W/\"a\"\r\n")),
        (["Cache-Control: max-age=100", "ETag: unquoted"], [], 150, .staleWithoutValidators),
        (["ETag: \"a\""], [], 0, validate(0)),                                    // no freshness information: lifetime 0
        // request no-cache, and Pragma: no-cache only without Cache-Control (§5.4)
        (["Cache-Control: max-age=100", "ETag: \"a\""], ["Cache-Control: no-cache"], 50, validate(50)),
        (["Cache-Control: max-age=100", "ETag: \"a\""], ["Pragma: no-cache"], 50, validate(50)),
        (["Cache-Control: max-age=100", "ETag: \"a\""], ["Pragma: no-cache", "Cache-Control: max-stale"], 50, .fresh(age: 50)),
        (["Cache-Control: max-age=100"], ["Cache-Control: no-cache"], 50, .staleWithoutValidators),
        // response no-cache: always validated
        (["Cache-Control: max-age=100, no-cache", "ETag: \"a\""], [], 1, validate(1)),
        // request max-age
        (["Cache-Control: max-age=100", "ETag: \"a\""], ["Cache-Control: max-age=10"], 50, validate(50)),
        (["Cache-Control: max-age=100", "ETag: \"a\""], ["Cache-Control: max-age=50"], 50, .fresh(age: 50)),
        (["Cache-Control: max-age=100", "ETag: \"a\""], ["Cache-Control: max-age=0"], 0, .fresh(age: 0)),
        // request min-fresh: remaining freshness 100 − 50 = 50
        (["Cache-Control: max-age=100", "ETag: \"a\""], ["Cache-Control: min-fresh=51"], 50, validate(50)),
        (["Cache-Control: max-age=100", "ETag: \"a\""], ["Cache-Control: min-fresh=50"], 50, .fresh(age: 50)),
        // request max-stale: staleness 150 − 100 = 50
        (["Cache-Control: max-age=100", "ETag: \"a\""], ["Cache-Control: max-stale"], 150, .staleAllowed(age: 150)),
        (["Cache-Control: max-age=100", "ETag: \"a\""], ["Cache-Control: max-stale=50"], 150, .staleAllowed(age: 150)),
        (["Cache-Control: max-age=100", "ETag: \"a\""], ["Cache-Control: max-stale=49"], 150, validate(150)),
        (["Cache-Control: max-age=100, must-revalidate", "ETag: \"a\""], ["Cache-Control: max-stale"], 150, validate(150)),
        (["Cache-Control: max-age=100, proxy-revalidate", "ETag: \"a\""], ["Cache-Control: max-stale"], 150, validate(150)),
        (["Cache-Control: max-age=100", "ETag: \"a\""], ["Cache-Control: max-stale, max-age=120"], 150, validate(150)),
        (["Cache-Control: s-maxage=100", "ETag: \"a\""], ["Cache-Control: max-stale"], 150, validate(150)), // s-maxage implies proxy-revalidate
        // stale-while-revalidate (RFC 5861 §3): staleness within the window
        (["Cache-Control: max-age=100, stale-while-revalidate=60", "ETag: \"a\""], [], 160, .staleWhileRevalidate(age: 160)),
        (["Cache-Control: max-age=100, stale-while-revalidate=60", "ETag: \"a\""], [], 161, validate(161)),
        (["Cache-Control: max-age=100, stale-while-revalidate=60"], [], 161, .staleWithoutValidators),
        (["Cache-Control: max-age=100, stale-while-revalidate=60, must-revalidate", "ETag: \"a\""], [], 130, validate(130)),
        (["Cache-Control: max-age=100, stale-while-revalidate=60", "ETag: \"a\""], ["Cache-Control: no-cache"], 130, validate(130)),
        (["Cache-Control: max-age=100, stale-while-revalidate=60", "ETag: \"a\""], ["Cache-Control: min-fresh=1"], 130, validate(130)),
        // the Age field and Date count: Age 80 + 30 s in the cache = 110 > 100
        (["Cache-Control: max-age=100", "Age: 80", "ETag: \"a\""], [], 30, validate(110)),
        (["Cache-Control: max-age=100", "Date: Wed, 02 Dec 2026 10:59:00 GMT"], [], 30, .fresh(age: 90)),
        // heuristic freshness: 10% of 1000 s
        (["Date: \(F.t0Date)", "Last-Modified: \(HTTPDate.formatText(F.t0 - 1000))"], [], 99, .fresh(age: 99)),
    ] }

    @Test("lookup decisions (RFC 9111 §4, §5.2.1; RFC 5861)", arguments: cases.indices)
    func decisions(_ index: Int) throws {
        let (storedFields, requestFields, age, expected) = Self.cases[index]
        let stored = try F.stored(["HTTP/1.1 200 OK"] + storedFields, requestTime: F.t0, responseTime: F.t0)
        let request = try F.get("http://example.com/a", requestFields)
        #expect(CacheLookupDecision.decide(request: request, stored: stored, now: F.t0 + age) == expected)
    }

    @Test("only-if-cached is exposed; only servable decisions may answer it")
    func onlyIfCached() throws {
        let directives = CacheRequestDirectives(try F.get("http://example.com/a", "Cache-Control: only-if-cached, max-stale=5"))
        #expect(directives.onlyIfCached)
        #expect(directives.maxStale == 5)
        #expect(CacheLookupDecision.fresh(age: 1).isServableWithoutOrigin)
        #expect(CacheLookupDecision.staleAllowed(age: 1).isServableWithoutOrigin)
        #expect(CacheLookupDecision.staleWhileRevalidate(age: 1).isServableWithoutOrigin)
        #expect(!CacheLookupDecision.staleWithoutValidators.isServableWithoutOrigin)
        #expect(!CacheLookupDecision.staleNeedsValidation(age: 1, validators: []).isServableWithoutOrigin)
    }

    /// (stored fields, request fields, age, option maxStaleOnError, servable when the origin is unreachable)
    static let errorCases: [([String], [String], Int64, Int64?, Bool)] = [
        (["Cache-Control: max-age=100"], [], 50, nil, true),                     // fresh
        (["Cache-Control: max-age=100, no-cache"], [], 50, nil, false),          // must be validated
        (["Cache-Control: max-age=100"], ["Cache-Control: no-cache"], 50, nil, false),
        (["Cache-Control: max-age=100"], ["Pragma: no-cache"], 50, nil, false),
        (["Cache-Control: max-age=100"], [], 1000, nil, true),                   // disconnected: stale may be served (§4.2.4)
        (["Cache-Control: max-age=100"], [], 1000, 60, false),                   // unless the configured limit says no
        (["Cache-Control: max-age=100"], [], 150, 60, true),
        (["Cache-Control: max-age=100, must-revalidate"], [], 150, nil, false),
        (["Cache-Control: max-age=100, proxy-revalidate"], [], 150, nil, false),
        (["Cache-Control: max-age=100, s-maxage=100, proxy-revalidate"], [], 150, nil, false),
        (["Cache-Control: s-maxage=100"], [], 150, nil, false),
        (["Cache-Control: s-maxage=100, stale-if-error=60"], [], 150, nil, false),
        (["Cache-Control: max-age=100"], ["Cache-Control: max-age=120"], 150, nil, false),
        (["Cache-Control: max-age=100"], ["Cache-Control: max-stale=49"], 150, nil, false),
        (["Cache-Control: max-age=100"], ["Cache-Control: max-stale=50"], 150, nil, true),
        (["Cache-Control: max-age=100, stale-if-error=60"], [], 160, nil, true),
        (["Cache-Control: max-age=100, stale-if-error=60"], [], 161, nil, false),
        (["Cache-Control: max-age=100, stale-if-error=60"], ["Cache-Control: max-stale=100"], 190, nil, true),
        (["Cache-Control: max-age=100, stale-if-error=60, must-revalidate"], [], 110, nil, false),
    ]

    @Test("serving stale when the origin is unreachable (§4.2.4, RFC 5861 §4)", arguments: errorCases.indices)
    func staleOnError(_ index: Int) throws {
        let (storedFields, requestFields, age, limit, servable) = Self.errorCases[index]
        let stored = try F.stored(["HTTP/1.1 200 OK"] + storedFields, requestTime: F.t0, responseTime: F.t0)
        let request = CacheRequestDirectives(try F.get("http://example.com/a", requestFields))
        var options = CachePolicyOptions()
        options.maxStaleOnError = limit
        #expect(stored.canServeStaleOnError(request: request, now: F.t0 + age, options: options) == servable)
    }
}
