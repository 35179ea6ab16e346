import Proxy
import Testing

@Suite struct CachePolicyHTTPDateTests {
    @Test("the three forms of RFC 9110 §5.6.7 name the same instant", arguments: [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Sun Nov 06 08:49:37 1994",
    ])
    func threeForms(_ text: String) {
        #expect(HTTPDate.parse(text) == 784_111_777)
    }

    @Test("valid dates, leap years and times past 2038", arguments: [
        ("Thu, 01 Jan 1970 00:00:00 GMT", Int64(0)),
        ("Wed, 31 Dec 1969 23:59:59 GMT", -1),
        ("Tue, 29 Feb 2000 12:00:00 GMT", 951_825_600),     // divisible by 400: leap
        ("Thu, 29 Feb 2024 00:00:00 GMT", 1_709_164_800),   // divisible by 4: leap
        ("Mon, 01 Mar 2100 00:00:00 GMT", 4_107_542_400),   // 2100 is not leap: Feb has 28 days
        ("Tue, 19 Jan 2038 03:14:07 GMT", 2_147_483_647),   // the last second of signed 32-bit time
        ("Tue, 19 Jan 2038 03:14:08 GMT", 2_147_483_648),
        ("Sun, 07 Feb 2106 06:28:16 GMT", 4_294_967_296),   // past unsigned 32-bit time
        ("Fri, 31 Dec 9999 23:59:59 GMT", 253_402_300_799),
        ("Mon, 01 Jan 1601 00:00:00 GMT", -11_644_473_600),
        ("Wed, 31 Dec 2008 23:59:60 GMT", 1_230_768_000),   // a leap second counts as the next second
        ("Mon, 06 Nov 1994 08:49:37 GMT", 784_111_777),     // the day name is not checked against the date
        ("Thu Feb 29 00:00:00 2024", 1_709_164_800),
    ])
    func validDates(_ text: String, _ seconds: Int64) {
        #expect(HTTPDate.parse(text) == seconds)
    }

    @Test("invalid dates are nil", arguments: [
        "", "0", "-1", "1994-11-06T08:49:37Z",
        "Sun, 06 Nov 1994 08:49:37 UTC",      // only GMT
        "Sun, 06 Nov 1994 08:49:37 gmt",      // case-sensitive
        "sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT",       // day is 2DIGIT
        " Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT ",
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun,  06 Nov 1994 08:49:37 GMT",
        "Fun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 31 Apr 1994 08:49:37 GMT",      // April has 30 days
        "Mon, 29 Feb 1900 00:00:00 GMT",      // 1900 is not a leap year
        "Sat, 29 Feb 2025 00:00:00 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 06 Nov 0000 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 06-Nov-94 08:49:37 GMT",        // rfc850 wants the long day name
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sunday, 06 Nov 94 08:49:37 GMT",
        "Sun Nov 6 08:49:37 1994",            // asctime pads the day with a space
        "Sun Nov  6 08:49:37 94",
        "Sun Nov  6 08:49:37 1994 GMT",
    ])
    func invalidDates(_ text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }

    @Test("a two-digit rfc850 year more than 50 years ahead of now is in the past century")
    func twoDigitYears() {
        let now = HTTPDate.parse("Wed, 02 Dec 2026 11:00:00 GMT")
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: now) == 784_111_777)
        #expect(HTTPDate.parse("Thursday, 01-Jan-70 00:00:00 GMT") == 0)
        #expect(HTTPDate.parse("Thursday, 01-Jan-70 00:00:00 GMT", now: now) == HTTPDate.parse("Tue, 01 Jan 2070 00:00:00 GMT"))
        #expect(HTTPDate.parse("Monday, 01-Jan-80 00:00:00 GMT", now: now) == HTTPDate.parse("Tue, 01 Jan 1980 00:00:00 GMT"))
        #expect(HTTPDate.parse("Saturday, 01-Jan-00 00:00:00 GMT") == 946_684_800)
    }

    @Test("formatting writes IMF-fixdate", arguments: [
        (Int64(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT"),
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
        (951_825_600, "Tue, 29 Feb 2000 12:00:00 GMT"),
        (2_147_483_648, "Tue, 19 Jan 2038 03:14:08 GMT"),
        (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
        (-11_644_473_600, "Mon, 01 Jan 1601 00:00:00 GMT"),
        (Int64.max, "Fri, 31 Dec 9999 23:59:59 GMT"),
    ])
    func formats(_ seconds: Int64, _ text: String) {
        #expect(HTTPDate.formatText(seconds) == text)
        #expect(HTTPDate.format(seconds).count == 29)
    }

    @Test("format and parse are inverse over four centuries")
    func roundTrip() {
        // A prime stride visits every time of day, weekday and month over the range.
        var t: Int64 = -2_208_988_800 // 1900-01-01
        while t < 10_000_000_000 {
            #expect(HTTPDate.parse(HTTPDate.format(t)) == t)
            t += 7_777_777
        }
    }
}

@Suite struct CachePolicyKeyTests {
    @Test("GET and HEAD share a key in normal form", arguments: [
        ("GET HTTP://Example.COM:80/a?b=C HTTP/1.1", "http://example.com/a?b=C"),
        ("HEAD http://example.com HTTP/1.1", "http://example.com/"),
        ("GET http://example.com:8080/%7Ex HTTP/1.1", "http://example.com:8080/%7Ex"),
        ("GET http://[::1]:80/ HTTP/1.1", "http://[::1]/"),
    ])
    func keys(_ requestLine: String, _ key: String) throws {
        let head = try CachePolicyFixtures.request(requestLine, "Host: x")
        #expect(CacheKey(request: head)?.description == key)
    }

    @Test("the key is AbsoluteURI.normalized, byte for byte", arguments: [
        "GET HTTP://Example.COM:80/a?b=C HTTP/1.1", "GET http://example.com:080/x HTTP/1.1", "GET http://EXAMPLE.com:8080 HTTP/1.1",
        "GET http://[::1]:80/ HTTP/1.1", "GET http://[FE80::1]:8000/p?q HTTP/1.1", "GET http://a.b?x=1 HTTP/1.1",
    ])
    func keyAgreesWithNormalizedURI(_ requestLine: String) throws {
        let head = try CachePolicyFixtures.request(requestLine, "Host: x")
        guard case .absolute(let uri) = head.target else { Issue.record("not absolute-form"); return }
        let expected = uri.normalized(in: head.fields.bytes.span)
        #expect(CacheKey(request: head)?.description == expected)
    }

    @Test("other methods have no key", arguments: ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "FOO"])
    func noKey(_ method: String) throws {
        let head = try CachePolicyFixtures.request("\(method) http://example.com/ HTTP/1.1", "Host: x", "Content-Length: 0")
        #expect(CacheKey(request: head) == nil)
    }

    @Test("an origin-form target has no key")
    func originForm() throws {
        #expect(CacheKey(request: try CachePolicyFixtures.request("GET /a HTTP/1.1", "Host: example.com")) == nil)
    }
}
