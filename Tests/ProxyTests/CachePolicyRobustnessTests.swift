import Proxy
import SafeParse
import Testing

/// The policy reads bytes that come from origins, clients and shared memory: none of it may
/// trap, whatever the bytes.
@Suite struct CachePolicyRobustnessTests {
    typealias F = CachePolicyFixtures

    /// Bytes drawn mostly from the alphabet of heads, so that some inputs get deep.
    static func noise(_ generator: inout SplitMix, count: Int) -> [UInt8] {
        let alphabet = Array("HTTP/1.1 200 OK\r\n: ,\"W/*-Etag0123456789GMT SunNov".utf8)
        return (0..<count).map { _ in
            let r = generator.next()
            return r % 4 == 0 ? UInt8(truncatingIfNeeded: r >> 8) : alphabet[Int((r >> 8) % UInt64(alphabet.count))]
        }
    }

    @Test("random bytes never trap the policy's readers")
    func randomBytes() throws {
        var generator = SplitMix(seed: 0xCAC4E)
        let stored = try F.stored("HTTP/1.1 200 OK", "ETag: \"a\"", "Cache-Control: max-age=5")
        for round in 0..<3000 {
            let bytes = Self.noise(&generator, count: Int(generator.next() % 64))
            _ = HTTPDate.parse(bytes)
            _ = EntityTag(bytes)
            _ = EntityTag.parseCondition(bytes)
            _ = VaryKey.names(inVariant: bytes)
            _ = CacheKey(uri: bytes)
            var head = Array("HTTP/1.1 200 OK\r\n".utf8) + bytes
            if round % 2 == 0 { head += [13, 10, 13, 10] }
            _ = StoredResponse(head: head, requestTime: 0, responseTime: 0)
            _ = CachedHead.forSending(head, age: 1, cacheStatus: .hit)
            _ = ConditionalRequest.notModifiedHead(storedHead: head)
            _ = CacheLookupDecision.validatorFields(storedHead: head)
            var damaged = stored
            damaged.head = head
            _ = CacheLookupDecision.decide(request: CacheRequestDirectives(), stored: damaged, now: F.t0)
        }
    }

    @Test("field values from origins and clients never trap")
    func randomFieldValues() throws {
        var generator = SplitMix(seed: 0xF1E1D)
        let stored = try F.stored("HTTP/1.1 200 OK", "ETag: \"a\"", "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT")
        for _ in 0..<500 {
            // Printable bytes only: SafeParse rejects the rest before the policy sees them.
            let value = String(decoding: Self.noise(&generator, count: Int(generator.next() % 40)).map { $0 < 0x20 || $0 > 0x7E ? 0x2E : $0 }, as: UTF8.self)
            let response = try F.response("HTTP/1.1 201 Created", "Location: \(value)", "Content-Location: \(value)",
                                          "Vary: \(value)", "Cache-Control: \(value)", "ETag: \(value)", "Expires: \(value)")
            let request = try F.request("PUT http://example.com/a/b HTTP/1.1", "Host: x", "Content-Length: 0",
                                        "If-None-Match: \(value)", "If-Modified-Since: \(value)", "Cache-Control: \(value)")
            _ = Invalidation.keysToInvalidate(request: request, response: response)
            _ = Storability.evaluate(request: request, response: response, responseTime: F.t0)
            _ = VaryKey.variant(response: response, request: request)
            _ = ConditionalRequest.evaluate(request: request, stored: stored)
            _ = CacheLookupDecision.decide(request: request, stored: stored, now: F.t0)
            _ = HeaderRefresh.refresh(stored, notModified: response, requestTime: F.t0, responseTime: F.t0)
        }
    }

    @Test("request directives (§5.2.1, §5.4)", arguments: [
        ([String](), CacheRequestDirectives()),
        (["Cache-Control: no-cache, no-store, only-if-cached"], { var d = CacheRequestDirectives(); d.noCache = true; d.noStore = true; d.onlyIfCached = true; return d }()),
        (["Cache-Control: max-age=5, max-stale, min-fresh=7"], { var d = CacheRequestDirectives(); d.maxAge = 5; d.maxStale = 2_147_483_648; d.minFresh = 7; return d }()),
        (["Pragma: no-cache"], { var d = CacheRequestDirectives(); d.noCache = true; return d }()),
        (["Pragma: x, No-Cache"], { var d = CacheRequestDirectives(); d.noCache = true; return d }()),
        (["Pragma: no-cache", "Cache-Control: max-age=9"], { var d = CacheRequestDirectives(); d.maxAge = 9; return d }()),
    ])
    func directives(_ fields: [String], _ expected: CacheRequestDirectives) throws {
        #expect(CacheRequestDirectives(try F.get("http://example.com/", fields)) == expected)
    }
}
