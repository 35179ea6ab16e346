import Proxy
import SafeParse
import Testing

@Suite struct CachePolicyHeadTests {
    typealias F = CachePolicyFixtures

    static let stored = F.head("HTTP/1.1 200 OK", "Date: Wed, 02 Dec 2026 10:00:00 GMT", "Content-Type: text/plain",
                               "Content-Length: 5", "ETag: \"v1\"", "Cache-Control: max-age=60", "X-A: 1", "X-A: 2",
                               "Warning: 110 - \"Response is Stale\"", "Warning: 299 - \"Kept\"", "Age: 7")

    @Test("a 304 replaces fields by name but not framing, encoding or hop-by-hop fields (§3.2)")
    func merge() throws {
        let notModified = try F.response("HTTP/1.1 304 Not Modified", "Date: \(F.t0Date)", "Cache-Control: max-age=120",
                                         "x-a: 3", "Content-Length: 0", "Transfer-Encoding: chunked", "Content-Encoding: br",
                                         "Connection: close, X-Hop", "X-Hop: 1", "Keep-Alive: timeout=5",
                                         "Warning: 113 - \"Heuristic\"", "X-New: yes", "ETag: \"v1\"")
        let merged = try #require(HeaderRefresh.mergedHead(storedHead: Self.stored, notModified: notModified))
        #expect(F.text(merged) == """
            HTTP/1.1 200 OK
            Date: \(F.t0Date)
            Content-Type: text/plain
            Content-Length: 5
            ETag: "v1"
            Cache-Control: max-age=120
            x-a: 3
            Warning: 299 - "Kept"
            X-New: yes


            """)
    }

    @Test("after a 304 the metadata is computed from the merged head and the new exchange")
    func refreshed() throws {
        let old = try #require(StoredResponse(head: Self.stored, variant: Array("accept\n".utf8),
                                              requestTime: F.t0 - 3600, responseTime: F.t0 - 3600))
        #expect(old.freshnessLifetime == 60)
        let notModified = try F.response("HTTP/1.1 304 Not Modified", "Date: \(F.t0Date)", "Cache-Control: max-age=120", "Age: 0")
        guard case .updated(let new) = HeaderRefresh.refresh(old, notModified: notModified, requestTime: F.t0, responseTime: F.t0) else {
            Issue.record("not updated")
            return
        }
        #expect(new.freshnessLifetime == 120)
        #expect(new.date == F.t0)
        #expect(new.ageValue == 0)
        #expect(new.variant == old.variant)
        #expect(new.status == 200)
        #expect(CacheLookupDecision.decide(request: try F.get(), stored: new, now: F.t0 + 10) == .fresh(age: 10))
    }

    @Test("a 304 without Date or Age does not leave the first exchange's in the refreshed head")
    func refreshWithoutDate() throws {
        // Stored an hour ago with Age 7; revalidated now by a 304 that has neither Date nor Age.
        let old = try #require(StoredResponse(head: Self.stored, requestTime: F.t0 - 3600, responseTime: F.t0 - 3600))
        let notModified = try F.response("HTTP/1.1 304 Not Modified", "Cache-Control: max-age=60")
        guard case .updated(let new) = HeaderRefresh.refresh(old, notModified: notModified, requestTime: F.t0 - 1, responseTime: F.t0) else {
            Issue.record("not updated")
            return
        }
        #expect(new.date == F.t0)
        #expect(new.ageValue == 0)
        #expect(new.currentAge(now: F.t0 + 5) == 6)   // response_delay 1 + resident 5
        #expect(F.text(new.head).contains("Date: \(F.t0Date)\n"))
        #expect(!F.text(new.head).contains("Age:"))
    }

    @Test("a 304 that forbids storing is served once; one for another representation does not apply", arguments: [
        // (the 304's fields, outcome: 0 updated, 1 serve and remove, 2 not applicable)
        (["ETag: \"v1\""], 0),
        (["ETag: W/\"v1\""], 0),                                    // weak comparison
        (["ETag: \"v2\""], 2),
        (["ETag: garbage"], 2),
        ([String](), 0),
        (["Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT"], 0),       // the stored head has none
        (["Cache-Control: no-store"], 1),
        (["Cache-Control: private"], 1),
    ])
    func outcomes(_ fields: [String], _ expected: Int) throws {
        let old = try #require(StoredResponse(head: Self.stored, requestTime: F.t0, responseTime: F.t0))
        let notModified = try F.response(["HTTP/1.1 304 Not Modified"] + fields)
        let outcome = HeaderRefresh.refresh(old, notModified: notModified, requestTime: F.t0, responseTime: F.t0)
        switch outcome {
        case .updated: #expect(expected == 0)
        case .serveAndRemove(let head):
            #expect(expected == 1)
            #expect(F.text(head).contains("Content-Length: 5\n"))
        case .notApplicable: #expect(expected == 2)
        }
    }

    @Test("Last-Modified must agree when both heads carry it")
    func lastModifiedAgrees() throws {
        let head = F.head("HTTP/1.1 200 OK", "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT")
        let same = try F.response("HTTP/1.1 304 Not Modified", "Last-Modified: Sunday, 06-Nov-94 08:49:37 GMT")
        let other = try F.response("HTTP/1.1 304 Not Modified", "Last-Modified: Sun, 06 Nov 1994 08:49:38 GMT")
        #expect(HeaderRefresh.validatorsAgree(storedHead: head, notModified: same))
        #expect(!HeaderRefresh.validatorsAgree(storedHead: head, notModified: other))
    }

    @Test("the head sent from the cache has one computed Age and X-Proxy-Cache")
    func forSending() throws {
        let head = F.head("HTTP/1.1 200 OK", "Content-Type: text/plain", "Age: 7", "X-Proxy-Cache: MISS", "age: 8", "Content-Length: 5")
        let via = Array("Via: 1.1 portcullis\r\n".utf8)
        let out = try #require(CachedHead.forSending(head, age: 42, cacheStatus: .hit, extraLines: via))
        #expect(F.text(out) == """
            HTTP/1.1 200 OK
            Content-Type: text/plain
            Age: 42
            Content-Length: 5
            X-Proxy-Cache: HIT
            Via: 1.1 portcullis


            """)
        let noAge = try #require(CachedHead.forSending(F.head("HTTP/1.1 304 Not Modified", "ETag: \"a\""), age: -5, cacheStatus: .revalidated))
        #expect(F.text(noAge) == "HTTP/1.1 304 Not Modified\nETag: \"a\"\nAge: 0\nX-Proxy-Cache: REVALIDATED\n\n")
        let huge = try #require(CachedHead.forSending(F.head("HTTP/1.1 200 OK"), age: .max, cacheStatus: .stale))
        #expect(F.text(huge) == "HTTP/1.1 200 OK\nAge: 2147483648\nX-Proxy-Cache: STALE\n\n")
        #expect(CachedHead.forSending(Array("HTTP/1.1 200 OK\r\n".utf8), age: 1, cacheStatus: .hit) == nil)
        // The result is a head SafeParse accepts.
        var parser = ResponseParser()
        parser.requestMethod = .head
        #expect(try parser.parse(out.span).event == .headComplete)
        #expect(parser.head.fields.firstValue(of: "age") == "42")
    }

    @Test("the stored head drops hop-by-hop fields and keeps the rest byte for byte")
    func storable() throws {
        let response = try F.response("HTTP/1.1 200 Fine", "Connection: X-Hop", "X-Hop: 1", "Transfer-Encoding: chunked",
                                      "Keep-Alive: timeout=5", "ETag:\"a\"", "X-Proxy-Cache: HIT", "Cache-Control: max-age=5")
        #expect(F.text(CachedHead.storable(response)) == "HTTP/1.1 200 Fine\nETag:\"a\"\nCache-Control: max-age=5\n\n")
        #expect(StoredResponse(head: CachedHead.storable(response), requestTime: 0, responseTime: 0)?.freshnessLifetime == 5)
        // A cache records a Date for a response that has none (RFC 9110 §6.6.1), and only then.
        #expect(F.text(CachedHead.storable(response, responseTime: F.t0)).hasSuffix("max-age=5\nDate: \(F.t0Date)\n\n"))
        let dated = try F.response("HTTP/1.1 200 OK", "date: Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(F.text(CachedHead.storable(dated, responseTime: F.t0)) == "HTTP/1.1 200 OK\ndate: Sun, 06 Nov 1994 08:49:37 GMT\n\n")
    }
}
