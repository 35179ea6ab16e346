import Proxy
import SafeParse
import Testing

@Suite struct CachePolicyStoredResponseTests {
    typealias F = CachePolicyFixtures

    static let full = F.head("HTTP/1.1 200 OK", "Date: \(F.t0Date)", "Age: 30", "Expires: 0",
                             "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT", "ETag: W/\"v1\"",
                             "Cache-Control: max-age=600, must-revalidate, proxy-revalidate, no-cache, immutable",
                             "Cache-Control: stale-while-revalidate=30, stale-if-error=3600", "Content-Length: 5")

    @Test("the metadata is read from the head once, when stored")
    func fromHead() throws {
        let stored = try #require(StoredResponse(head: Self.full, variant: Array("accept: x\n".utf8), requestTime: F.t0 - 2, responseTime: F.t0))
        #expect(stored.requestTime == F.t0 - 2)
        #expect(stored.responseTime == F.t0)
        #expect(stored.date == F.t0)
        #expect(stored.ageValue == 30)
        #expect(stored.expires == 0)            // invalid Expires: a time in the past
        #expect(stored.lastModified == 784_111_777)
        #expect(stored.status == 200)
        #expect(stored.freshnessLifetime == 600)
        #expect(stored.flags == [.mustRevalidate, .proxyRevalidate, .noCache, .immutable, .hasValidators])
        #expect(stored.staleWhileRevalidate == 30)
        #expect(stored.staleIfError == 3600)
        #expect(stored.variant == Array("accept: x\n".utf8))
        #expect(stored.head == Self.full)
        // age at t0: corrected_age_value = 30 + 2
        #expect(stored.currentAge(now: F.t0) == 32)
        #expect(stored.isFresh(now: F.t0 + 567))
        #expect(!stored.isFresh(now: F.t0 + 568))
        #expect(stored.staleness(now: F.t0 + 600) == 32)
    }

    @Test("a heuristic lifetime is flagged; no validators, no flag")
    func heuristicFlag() throws {
        let stored = try F.stored("HTTP/1.1 200 OK", "Date: \(F.t0Date)", "Last-Modified: \(HTTPDate.formatText(F.t0 - 1000))")
        #expect(stored.flags == [.heuristic, .hasValidators])
        #expect(stored.freshnessLifetime == 100)
        let bare = try F.stored("HTTP/1.1 200 OK", "ETag: not-quoted")
        #expect(bare.flags == [])
        #expect(bare.date == nil && bare.expires == nil && bare.lastModified == nil && bare.ageValue == 0)
    }

    @Test("a head that is not a complete response head is refused", arguments: [
        "", "HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK\r\nA: b\r\n", "HTTP/1.1 200 OK\r\n\r\nbody",
        "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", "HTTP/1.1 200 OK\nA: b\n\n", "HTTP/1.1 099 X\r\n\r\n",
    ])
    func badHeads(_ text: String) {
        #expect(StoredResponse(head: Array(text.utf8), requestTime: 0, responseTime: 0) == nil)
    }

    static func samples() throws -> [StoredResponse] {
        let a = try #require(StoredResponse(head: full, variant: Array("accept-encoding: gzip\nx-missing\n".utf8),
                                            requestTime: F.t0 - 2, responseTime: F.t0))
        let b = try F.stored("HTTP/1.1 404 Not Found")
        var c = b
        c.requestTime = .min
        c.responseTime = .max
        c.date = -1
        c.lastModified = .min
        c.expires = .max
        c.freshnessLifetime = .max
        c.status = 999
        c.head = F.head("HTTP/1.1 999 Unknown")
        return [a, b, c]
    }

    @Test("encode and decode are inverse")
    func roundTrip() throws {
        for sample in try Self.samples() {
            let blob = sample.encode()
            #expect(StoredResponse.decode(blob) == sample)
            #expect(StoredResponse.decode(blob.span) == sample)
        }
    }

    @Test("every truncation and every extension of a blob decodes to nil")
    func truncated() throws {
        let blob = try Self.samples()[0].encode()
        for n in 0..<blob.count {
            #expect(StoredResponse.decode(Array(blob[0..<n])) == nil)
        }
        #expect(StoredResponse.decode(blob + [0]) == nil)
    }

    @Test("damaged fixed fields decode to nil", arguments: [
        (Int(0), UInt8(0x58)),   // magic
        (4, 2),             // unknown format version
        (5, 8),             // unknown presence bit
        (7, 0x80),          // unknown flag bit
        (8, 0), (9, 0),     // status 0 (with the low byte)
        (9, 0x10),          // status above 999
        (34 + 7, 0x80),     // negative Age
        (58 + 7, 0x80),     // negative lifetime
        (82, 0xFF),         // variant length past the end
        (89, 0x7F),         // head length past the end
    ] as [(Int, UInt8)])
    func damaged(_ offset: Int, _ byte: UInt8) throws {
        var blob = try Self.samples()[1].encode()
        blob[offset] = byte
        #expect(StoredResponse.decode(blob) == nil)
    }

    @Test("an absent time must be written as 0; a head must look like one")
    func canonical() throws {
        var blob = try Self.samples()[1].encode()   // no Date
        blob[26] = 1                                 // a non-zero "absent" Date
        #expect(StoredResponse.decode(blob) == nil)
        var headless = try Self.samples()[1]
        headless.head = Array("garbage garbage garbage".utf8)
        #expect(StoredResponse.decode(headless.encode()) == nil)
    }

    @Test("arbitrary bytes never trap")
    func garbage() throws {
        var generator = SplitMix(seed: 0x5EED)
        let valid = try Self.samples()[0].encode()
        for round in 0..<2000 {
            var blob: [UInt8]
            if round % 2 == 0 {
                blob = (0..<Int(generator.next() % 200)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            } else {
                blob = valid
                for _ in 0..<(1 + Int(generator.next() % 4)) {
                    blob[Int(generator.next() % UInt64(blob.count))] = UInt8(truncatingIfNeeded: generator.next())
                }
            }
            _ = StoredResponse.decode(blob)
        }
        #expect(StoredResponse.decode(Array(repeating: 0, count: 90)) == nil)
        #expect(StoredResponse.decode(Array(repeating: 0xFF, count: 4096)) == nil)
    }
}
