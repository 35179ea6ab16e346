import Proxy
import SafeParse
import Testing

@Suite struct CachePolicyFreshnessTests {
    typealias F = CachePolicyFixtures
    static let date = F.t0Date                       // Date of the responses below
    static let plus100 = HTTPDate.formatText(F.t0 + 100)
    static let minus100 = HTTPDate.formatText(F.t0 - 100)

    @Test("explicit lifetime: s-maxage over max-age over Expires − Date (§4.2.1)", arguments: [
        (["Cache-Control: s-maxage=60, max-age=30", "Expires: \(plus100)"], Int64(60), FreshnessLifetime.Source.sMaxAge),
        (["Cache-Control: max-age=30", "Expires: \(plus100)"], 30, .maxAge),
        (["Cache-Control: max-age=10, max-age=20"], 10, .maxAge),           // the first occurrence wins
        (["Cache-Control: max-age=10", "Cache-Control: s-maxage=20"], 20, .sMaxAge), // every field counts
        (["Cache-Control: max-age=abc"], 0, .maxAge),                       // invalid argument: stale
        (["Cache-Control: max-age=99999999999"], 2_147_483_648, .maxAge),   // saturates at 2^31
        (["Expires: \(plus100)"], 100, .expires),
        (["Expires: \(minus100)"], 0, .expires),                            // already expired
        (["Expires: 0"], 0, .expires),                                      // invalid: in the past
        (["Expires: Sun, 06 Nov 1994 08:49:37 GMT", "Cache-Control: max-age=5"], 5, .maxAge),
    ])
    func explicitLifetime(_ fields: [String], _ seconds: Int64, _ source: FreshnessLifetime.Source) throws {
        let response = try F.response(["HTTP/1.1 200 OK", "Date: \(Self.date)"] + fields)
        let lifetime = Freshness.lifetime(response: response, responseTime: F.t0 + 5)
        #expect(lifetime == FreshnessLifetime(seconds: seconds, source: source))
        #expect(lifetime.isExplicit)
    }

    @Test("without Date, Expires counts from the time the response was received")
    func expiresWithoutDate() throws {
        let response = try F.response("HTTP/1.1 200 OK", "Expires: \(Self.plus100)")
        #expect(Freshness.lifetime(response: response, responseTime: F.t0 + 40).seconds == 60)
    }

    @Test("heuristic lifetime: 10% of Date − Last-Modified, capped (§4.2.2)", arguments: [
        // (status, seconds since Last-Modified, extra field, options edit, expected, source)
        (200, Int64(1000), "", 0, Int64(100), FreshnessLifetime.Source.heuristic),
        (200, 10 * 86_400, "", 0, 86_400, .heuristic),               // capped at 24 h by default
        (200, 1000, "", 1, 50, .heuristic),                           // cap set to 50 s
        (404, 1000, "", 0, 100, .heuristic),
        (301, 1000, "", 0, 100, .heuristic),
        (302, 1000, "", 0, 0, .none),                                 // not heuristically cacheable
        (302, 1000, "Cache-Control: public", 0, 100, .heuristic),     // unless public
        (200, -1000, "", 0, 0, .heuristic),                           // Last-Modified after Date
        (200, 1000, "", 2, 0, .none),                                 // heuristics off
        (200, 1000, "", 3, 300, .defaultLifetime),                    // heuristics off, default 300 s
        (200, 1000, "Cache-Control: max-age=7", 0, 7, .maxAge),       // explicit freshness wins
    ])
    func heuristic(_ status: Int, _ sinceModified: Int64, _ extra: String, _ variant: Int, _ expected: Int64,
                   _ source: FreshnessLifetime.Source) throws {
        var options = CachePolicyOptions()
        switch variant {
        case 1: options.maxHeuristicLifetime = 50
        case 2: options.heuristicFreshness = false
        case 3: options.heuristicFreshness = false; options.defaultLifetime = 300
        default: break
        }
        var lines = ["HTTP/1.1 \(status) X", "Date: \(Self.date)", "Last-Modified: \(HTTPDate.formatText(F.t0 - sinceModified))"]
        if !extra.isEmpty { lines.append(extra) }
        let response = try F.response(lines)
        #expect(Freshness.lifetime(response: response, responseTime: F.t0, options: options) == FreshnessLifetime(seconds: expected, source: source))
    }

    @Test("no freshness information and no Last-Modified: lifetime 0, or the configured default")
    func noInformation() throws {
        let response = try F.response("HTTP/1.1 200 OK", "Date: \(Self.date)")
        #expect(Freshness.lifetime(response: response, responseTime: F.t0) == FreshnessLifetime(seconds: 0, source: .none))
        var options = CachePolicyOptions()
        options.defaultLifetime = 60
        #expect(Freshness.lifetime(response: response, responseTime: F.t0, options: options) == FreshnessLifetime(seconds: 60, source: .defaultLifetime))
    }

    @Test("heuristic percent arithmetic does not overflow for huge intervals")
    func heuristicHuge() {
        var options = CachePolicyOptions()
        options.maxHeuristicLifetime = .max
        #expect(Freshness.heuristicLifetime(date: .max, lastModified: .min, options: options) == Int64.max / 100 * 10 + Int64.max % 100 * 10 / 100)
        #expect(Freshness.heuristicLifetime(date: 1_000_000, lastModified: 0) == 86_400)
    }

    // §4.2.3 worked through: the request is sent at 1000, the response arrives at 1002
    // (response_delay 2), and the cache serves it at 1100 (resident_time 98).
    @Test("current age (§4.2.3)", arguments: [
        // (age_value, date_value, now, expected current_age)
        // apparent_age = 1002 − 999 = 3; corrected_age_value = 10 + 2 = 12; max = 12; + 98 = 110
        (Int64(10), Int64?.some(999), Int64(1100), Int64(110)),
        // origin clock 8 s ahead: apparent_age = max(0, 1002 − 1010) = 0; corrected 0 + 2 = 2; + 98 = 100
        (0, 1010, 1100, 100),
        // origin clock 100 s behind: apparent_age = 102 beats corrected_age_value 2; + 98 = 200
        (0, 900, 1100, 200),
        // an upstream cache held it 50 s: corrected_age_value = 52 beats apparent_age 3; + 98 = 150
        (50, 999, 1100, 150),
        // no Date: apparent_age 0; corrected_age_value = 2
        (0, nil, 1100, 100),
        // served the moment it arrived: resident_time 0
        (10, 999, 1002, 12),
        // our clock stepped back: resident_time is not negative
        (10, 999, 900, 12),
    ])
    func currentAge(_ ageValue: Int64, _ date: Int64?, _ now: Int64, _ expected: Int64) {
        #expect(Freshness.currentAge(ageValue: ageValue, date: date, requestTime: 1000, responseTime: 1002, now: now) == expected)
    }

    @Test("ages saturate instead of overflowing")
    func ageSaturates() {
        #expect(Freshness.currentAge(ageValue: .max, date: .min, requestTime: .min, responseTime: .max, now: .max) == .max)
    }

    @Test("heuristically cacheable statuses are those of RFC 9110 §15.1")
    func statuses() {
        let cacheable = (100...599).filter { Freshness.isHeuristicallyCacheable(status: $0) }
        #expect(cacheable == [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501])
    }
}
