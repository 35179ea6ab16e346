import Testing
import Proxy
import SafeParse

/// The cache as a client sees it through the connection machine: machines of one engine
/// share its store, as the connections of one proxy do.
@Suite struct CacheFlowTests {
    static let start: UInt64 = 1_000_000_000
    static func seconds(_ s: UInt64) -> UInt64 { start + s * 1_000_000_000 }

    static func get(_ path: String, _ extra: String = "", method: String = "GET") -> String {
        "\(method) http://origin.test\(path) HTTP/1.1\r\nHost: origin.test\r\n\(extra)\r\n"
    }

    static let fresh = "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 5\r\n\r\nhello"

    /// One exchange on a new connection of `engine` at `now`: the request, and the origin's
    /// answer if the machine goes to the origin.
    static func fetch(_ engine: EngineContext, _ request: String, origin: String?, at now: UInt64 = start) -> MachineHarness {
        var h = MachineHarness(engine: engine, now: now)
        h.client(request)
        if let origin, !h.connects.isEmpty {
            h.connected()
            h.origin(origin)
        }
        return h
    }

    static func cacheField(_ h: MachineHarness) -> LogValue? { h.logs("request_complete").last?.value("cache") }

    @Test func aFreshResponseIsStoredAndTheNextRequestIsAHitWithItsAge() {
        let engine = MachineHarness.cachedEngine()
        let first = Self.fetch(engine, Self.get("/a"), origin: Self.fresh)
        #expect(first.toClient.contains("X-Proxy-Cache: MISS\r\n"))
        #expect(first.toClient.hasSuffix("hello"))
        #expect(first.logs("cache_store").count == 1)
        #expect(Self.cacheField(first) == .text("MISS"))

        let second = Self.fetch(engine, Self.get("/a"), origin: nil, at: Self.seconds(5))
        #expect(second.connects.isEmpty)
        #expect(second.toClient.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(second.toClient.contains("\r\nAge: 5\r\n"))
        #expect(second.toClient.contains("\r\nX-Proxy-Cache: HIT\r\n"))
        #expect(second.toClient.contains("\r\nContent-Length: 5\r\n"))
        #expect(second.toClient.hasSuffix("\r\n\r\nhello"))
        // The head is built; the body goes out straight from the arena, never copied.
        let writes = second.actions.filter { $0.clientBytes != nil }
        #expect(writes.count == 2)
        if writes.count == 2, case .writeClient = writes[0], case .writeClientStored(let body) = writes[1] {
            #expect(body.copyBytes() == Array("hello".utf8))
        } else {
            Issue.record("a hit is a head and a stored body: \(writes)")
        }
        #expect(Self.cacheField(second) == .text("HIT"))
        #expect(!second.clientClosed)
        #expect(engine.stats.cacheHits.load() == 1 && engine.stats.cacheMisses.load() == 1)
        #expect(engine.stats.cacheEntries.load() == 1 && engine.stats.cacheBytes.load() > 0)
    }

    @Test func aHeadRequestIsAnsweredFromTheStoredGetWithoutItsBody() {
        let engine = MachineHarness.cachedEngine()
        _ = Self.fetch(engine, Self.get("/h"), origin: Self.fresh)
        let head = Self.fetch(engine, Self.get("/h", method: "HEAD"), origin: nil, at: Self.seconds(1))
        #expect(head.connects.isEmpty)
        #expect(head.toClient.contains("X-Proxy-Cache: HIT\r\n"))
        #expect(head.toClient.hasSuffix("Content-Length: 5\r\n\r\n"))
    }

    @Test(arguments: ["no-store", "private", "no-store, max-age=60", "private, max-age=60"])
    func noStoreAndPrivateResponsesAreNeverStored(_ directive: String) {
        let engine = MachineHarness.cachedEngine()
        let answer = "HTTP/1.1 200 OK\r\nCache-Control: \(directive)\r\nContent-Length: 2\r\n\r\nok"
        _ = Self.fetch(engine, Self.get("/p"), origin: answer)
        let again = Self.fetch(engine, Self.get("/p"), origin: answer, at: Self.seconds(1))
        #expect(again.connects == ["origin.test:80"])
        #expect(Self.cacheField(again) == .text("MISS"))
        #expect(engine.stats.cacheEntries.load() == 0)
    }

    @Test func aResponseCutShortIsNeverStored() {
        let engine = MachineHarness.cachedEngine()
        var h = MachineHarness(engine: engine)
        h.client(Self.get("/cut"))
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 10\r\n\r\nhalf")
        h.originEOF()
        #expect(h.clientClosed)
        #expect(engine.stats.cacheEntries.load() == 0)
        let again = Self.fetch(engine, Self.get("/cut"), origin: Self.fresh, at: Self.seconds(1))
        #expect(again.connects == ["origin.test:80"])
    }

    @Test func aStaleEntryWithAnETagIsRevalidatedAndA304RefreshesIt() {
        let engine = MachineHarness.cachedEngine()
        let stored = "HTTP/1.1 200 OK\r\nCache-Control: max-age=10\r\nETag: \"v1\"\r\nContent-Length: 5\r\n\r\nhello"
        _ = Self.fetch(engine, Self.get("/e"), origin: stored)
        var h = MachineHarness(engine: engine, now: Self.seconds(30))
        h.client(Self.get("/e"))
        #expect(h.connects == ["origin.test:80"])
        h.connected()
        #expect(h.toUpstream.contains("\r\nIf-None-Match: \"v1\"\r\n"))
        h.origin("HTTP/1.1 304 Not Modified\r\nCache-Control: max-age=100\r\nETag: \"v1\"\r\n\r\n")
        #expect(h.toClient.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(h.toClient.contains("X-Proxy-Cache: REVALIDATED\r\n"))
        #expect(h.toClient.hasSuffix("hello"))
        #expect(Self.cacheField(h) == .text("REVALIDATED"))
        // The 304's max-age=100 now applies: fresh again without asking the origin.
        let later = Self.fetch(engine, Self.get("/e"), origin: nil, at: Self.seconds(60))
        #expect(later.connects.isEmpty)
        #expect(later.toClient.contains("X-Proxy-Cache: HIT\r\n"))
    }

    @Test func aClientsOwnConditionalRequestGets304FromAFreshEntry() {
        let engine = MachineHarness.cachedEngine()
        let stored = "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nETag: \"abc\"\r\nContent-Length: 5\r\n\r\nhello"
        _ = Self.fetch(engine, Self.get("/c"), origin: stored)
        let h = Self.fetch(engine, Self.get("/c", "If-None-Match: \"abc\"\r\n"), origin: nil, at: Self.seconds(2))
        #expect(h.connects.isEmpty)
        #expect(h.toClient.hasPrefix("HTTP/1.1 304 Not Modified\r\n"))
        #expect(!h.toClient.contains("hello"))
        #expect(h.toClient.contains("ETag: \"abc\"\r\n"))
    }

    @Test func aStaleEntryAnswersWhenTheOriginCannotBeReached() {
        let engine = MachineHarness.cachedEngine()
        _ = Self.fetch(engine, Self.get("/s"), origin: "HTTP/1.1 200 OK\r\nCache-Control: max-age=1\r\nContent-Length: 5\r\n\r\nhello")
        var h = MachineHarness(engine: engine, now: Self.seconds(20))
        h.client(Self.get("/s"))
        h.connectFailed(.connect("Connection refused"))
        #expect(h.toClient.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(h.toClient.contains("X-Proxy-Cache: STALE\r\n"))
        #expect(h.toClient.hasSuffix("hello"))
        #expect(h.logs("cache_stale").count == 1)
        #expect(Self.cacheField(h) == .text("STALE"))
    }

    @Test(arguments: ["must-revalidate", "proxy-revalidate", "no-cache"])
    func revalidationDirectivesForbidStaleAnswersOnFailure(_ directive: String) {
        let engine = MachineHarness.cachedEngine()
        _ = Self.fetch(engine, Self.get("/m"), origin: "HTTP/1.1 200 OK\r\nCache-Control: max-age=1, \(directive)\r\nContent-Length: 5\r\n\r\nhello")
        var h = MachineHarness(engine: engine, now: Self.seconds(20))
        h.client(Self.get("/m"))
        h.connectFailed(.connect("Connection refused"))
        #expect(h.toClient.hasPrefix("HTTP/1.1 502 "))
    }

    @Test func onlyIfCachedMissIsAnswered504WithoutContactingTheOrigin() {
        let engine = MachineHarness.cachedEngine()
        let h = Self.fetch(engine, Self.get("/o", "Cache-Control: only-if-cached\r\n"), origin: nil)
        #expect(h.connects.isEmpty)
        #expect(h.toClient.hasPrefix("HTTP/1.1 504 "))
    }

    @Test func requestNoCacheRevalidatesAFreshEntry() {
        let engine = MachineHarness.cachedEngine()
        _ = Self.fetch(engine, Self.get("/n"), origin: Self.fresh)
        let h = Self.fetch(engine, Self.get("/n", "Cache-Control: no-cache\r\n"), origin: Self.fresh, at: Self.seconds(1))
        #expect(h.connects == ["origin.test:80"])
    }

    @Test func aSuccessfulPostInvalidatesTheStoredTarget() {
        let engine = MachineHarness.cachedEngine()
        _ = Self.fetch(engine, Self.get("/x"), origin: Self.fresh)
        #expect(engine.stats.cacheEntries.load() == 1)
        let post = Self.fetch(engine, "POST http://origin.test/x HTTP/1.1\r\nHost: origin.test\r\nContent-Length: 0\r\n\r\n",
                              origin: "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", at: Self.seconds(1))
        #expect(Self.cacheField(post) == .text("BYPASS"))
        #expect(engine.stats.cacheEntries.load() == 0)
        let again = Self.fetch(engine, Self.get("/x"), origin: Self.fresh, at: Self.seconds(2))
        #expect(again.connects == ["origin.test:80"])
    }

    @Test func varyKeepsOneVariantPerRequestValue() {
        let engine = MachineHarness.cachedEngine()
        let english = "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nVary: Accept-Language\r\nContent-Length: 5\r\n\r\nhello"
        _ = Self.fetch(engine, Self.get("/v", "Accept-Language: en\r\n"), origin: english)
        let sameLanguage = Self.fetch(engine, Self.get("/v", "Accept-Language: en\r\n"), origin: nil, at: Self.seconds(1))
        #expect(sameLanguage.connects.isEmpty)
        let otherLanguage = Self.fetch(engine, Self.get("/v", "Accept-Language: fr\r\n"), origin: nil, at: Self.seconds(1))
        #expect(otherLanguage.connects == ["origin.test:80"])
    }

    @Test func concurrentMissesWaitForOneFillAndAreAnsweredFromIt() {
        let engine = MachineHarness.cachedEngine()
        var leader = MachineHarness(engine: engine)
        leader.client(Self.get("/slow"))
        #expect(leader.connects.count == 1)
        var follower = MachineHarness(engine: engine)
        follower.client(Self.get("/slow"))
        #expect(follower.connects.isEmpty)
        #expect(follower.armed?.0 == .cacheWait)
        leader.connected()
        leader.origin(Self.fresh)
        follower.advance(ms: ConnectionMachine.cacheWaitPollMs)
        #expect(follower.connects.isEmpty)
        #expect(follower.toClient.contains("X-Proxy-Cache: HIT\r\n"))
        #expect(follower.toClient.hasSuffix("hello"))
    }

    /// At `--log-level warn` the per-request INFO records are not built at all (the logger
    /// would drop them), while warnings still are; at info both are.
    @Test(arguments: [LogLevel.warn, .info])
    func infoRecordsAreBuiltOnlyWhenWritten(level: LogLevel) {
        let engine = MachineHarness.cachedEngine { $0.logLevel = level }
        var miss = MachineHarness(engine: engine)
        miss.client(Self.get("/logged"))
        miss.connected()
        miss.origin(Self.fresh)
        var hit = MachineHarness(engine: engine)
        hit.client(Self.get("/logged"))
        #expect(hit.toClient.contains("X-Proxy-Cache: HIT\r\n"))
        var bad = MachineHarness(engine: engine)
        bad.client("GET http://origin.test/ HTTP/1.1\r\nHost: origin.test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
        #expect(bad.toClient.hasPrefix("HTTP/1.1 400"))
        let info = (miss.logs + hit.logs + bad.logs).filter { $0.level == .info }.map(\.event)
        if level == .warn {
            #expect(info.isEmpty, "\(info)")
        } else {
            #expect(info.filter { $0 == "request_complete" }.count == 3 && info.contains("server_response"), "\(info)")
        }
        #expect(!bad.logs.filter { $0.level >= .warn }.isEmpty, "the rejected request still logs its reason")
    }

    @Test func aWaiterPollsAnOngoingFillWithoutLookingUpUntilItEnds() {
        let engine = MachineHarness.cachedEngine { $0.logLevel = .debug }
        var leader = MachineHarness(engine: engine)
        leader.client(Self.get("/long"))
        var follower = MachineHarness(engine: engine)
        follower.client(Self.get("/long"))
        #expect(follower.logs("cache_lookup").count == 1)
        for _ in 0..<5 {
            follower.advance(ms: ConnectionMachine.cacheWaitPollMs)
            #expect(follower.armed?.0 == .cacheWait, "still waiting while the fill runs")
        }
        #expect(follower.logs("cache_lookup").count == 1, "no lookup while the fill is running")
        #expect(follower.connects.isEmpty && follower.toClient.isEmpty)
        leader.connected()
        leader.origin(Self.fresh)
        follower.advance(ms: ConnectionMachine.cacheWaitPollMs)
        #expect(follower.logs("cache_lookup").count == 2, "one lookup once the fill ended")
        #expect(follower.connects.isEmpty && follower.toClient.contains("X-Proxy-Cache: HIT\r\n"))
    }

    @Test func waitersAreReleasedWhenTheFillTurnsOutUncacheable() {
        let engine = MachineHarness.cachedEngine()
        var leader = MachineHarness(engine: engine)
        leader.client(Self.get("/u"))
        var follower = MachineHarness(engine: engine)
        follower.client(Self.get("/u"))
        #expect(follower.connects.isEmpty)
        leader.connected()
        leader.origin("HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Length: 2\r\n\r\nok")
        follower.advance(ms: ConnectionMachine.cacheWaitPollMs)
        #expect(follower.connects == ["origin.test:80"])
    }

    @Test func waitersAreReleasedWhenTheFillFails() {
        let engine = MachineHarness.cachedEngine()
        var leader = MachineHarness(engine: engine)
        leader.client(Self.get("/f"))
        var follower = MachineHarness(engine: engine)
        follower.client(Self.get("/f"))
        leader.connectFailed(.connect("Connection refused"))
        #expect(leader.toClient.hasPrefix("HTTP/1.1 502 "))
        follower.advance(ms: ConnectionMachine.cacheWaitPollMs)
        #expect(follower.connects == ["origin.test:80"])
    }

    @Test func aResponseLargerThanTheObjectLimitStreamsThroughUncached() {
        let engine = MachineHarness.cachedEngine { $0.cacheMaxObjectBytes = 64 * 1024 }
        let body = String(repeating: "x", count: 100_000)
        let h = Self.fetch(engine, Self.get("/big"), origin: "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(h.toClient.hasSuffix(body))
        #expect(engine.stats.cacheEntries.load() == 0)
    }
}
