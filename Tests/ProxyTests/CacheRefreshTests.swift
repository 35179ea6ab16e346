import Testing
import Proxy
import SafeParse

/// stale-while-revalidate (RFC 5861 §3) through the connection machine: the client is answered
/// from the stale entry at once, and the same connection then refreshes the entry from the
/// origin in the background, without the client ever seeing the origin's answer or failure.
@Suite struct CacheRefreshTests {
    typealias Flow = CacheFlowTests

    /// max-age=10, stale-while-revalidate=60, with an ETag; stored at the start.
    static let swr = "HTTP/1.1 200 OK\r\nCache-Control: max-age=10, stale-while-revalidate=60\r\nETag: \"v1\"\r\nContent-Length: 5\r\n\r\nhello"

    static func storedEngine(_ response: String = swr) -> EngineContext {
        let engine = MachineHarness.cachedEngine()
        _ = Flow.fetch(engine, Flow.get("/r"), origin: response)
        return engine
    }

    /// Index of the first action matching `match`, or nil.
    static func index(_ h: MachineHarness, _ match: (ConnectionAction) -> Bool) -> Int? { h.actions.firstIndex(where: match) }

    @Test func theStaleAnswerGoesOutBeforeTheOriginIsAskedAndA304RefreshesTheEntry() {
        let engine = Self.storedEngine()
        var h = MachineHarness(engine: engine, now: Flow.seconds(30))
        h.client(Flow.get("/r"))
        // The whole answer is written before the connect is even asked for.
        #expect(h.toClient.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(h.toClient.contains("X-Proxy-Cache: STALE\r\n"))
        #expect(h.toClient.contains("\r\nAge: 30\r\n"))
        #expect(h.toClient.hasSuffix("\r\n\r\nhello"))
        let answered = Self.index(h) { $0.clientBytes != nil }
        let connect = Self.index(h) { if case .connectUpstream = $0 { true } else { false } }
        #expect(answered != nil && connect != nil && answered! < connect!)
        #expect(Flow.cacheField(h) == .text("STALE"))
        #expect(h.logs("request_complete").count == 1)
        #expect(!h.actions.contains(.shutdownClientWrite), "a keep-alive client keeps its connection")

        let answer = h.toClient
        h.connected()
        #expect(h.toUpstream.contains("\r\nIf-None-Match: \"v1\"\r\n"))
        h.origin("HTTP/1.1 304 Not Modified\r\nCache-Control: max-age=100, stale-while-revalidate=60\r\nETag: \"v1\"\r\n\r\n")
        #expect(h.toClient == answer, "nothing of the refresh reaches the client")
        #expect(h.logs("cache_refresh").first?.value("outcome") == .text("revalidated"))
        #expect(h.logs("request_complete").count == 1, "the refresh is not a second request")
        #expect(h.actions.contains(.releaseUpstream), "the origin connection goes back to the pool")
        #expect(!h.clientClosed)
        #expect(engine.stats.cacheStale.load() == 1)

        // Refreshed: fresh again without asking the origin.
        let later = Flow.fetch(engine, Flow.get("/r"), origin: nil, at: Flow.seconds(60))
        #expect(later.connects.isEmpty)
        #expect(later.toClient.contains("X-Proxy-Cache: HIT\r\n"))
    }

    @Test func aNewResponseFromTheOriginReplacesTheEntry() {
        let engine = Self.storedEngine()
        var h = MachineHarness(engine: engine, now: Flow.seconds(30))
        h.client(Flow.get("/r", "If-None-Match: \"client-copy\"\r\n"))
        #expect(h.toClient.contains("X-Proxy-Cache: STALE\r\n"))
        h.connected()
        #expect(!h.toUpstream.contains("client-copy"), "the client's own conditional is not forwarded")
        h.origin("HTTP/1.1 200 OK\r\nCache-Control: max-age=100\r\nETag: \"v2\"\r\nContent-Length: 5\r\n\r\nfresh")
        #expect(!h.toClient.contains("fresh"))
        #expect(h.logs("cache_refresh").first?.value("outcome") == .text("stored"))
        let later = Flow.fetch(engine, Flow.get("/r"), origin: nil, at: Flow.seconds(40))
        #expect(later.toClient.contains("X-Proxy-Cache: HIT\r\n"))
        #expect(later.toClient.hasSuffix("fresh"))
    }

    @Test func aFailedRefreshNeverReachesTheClientAndTheConnectionGoesOn() {
        let engine = Self.storedEngine()
        var h = MachineHarness(engine: engine, now: Flow.seconds(30))
        h.client(Flow.get("/r"))
        let answer = h.toClient
        h.connectFailed(.connect("Connection refused"))
        #expect(h.toClient == answer, "no error page after the stale answer")
        #expect(h.logs("cache_refresh").first?.value("outcome") == .text("upstream_connect_failed"))
        #expect(!h.clientClosed)
        // The entry is still there, still stale, and the next request on this connection works.
        h.reset()
        h.client(Flow.get("/r"))
        #expect(h.toClient.contains("X-Proxy-Cache: STALE\r\n"))
    }

    @Test func anOriginErrorLeavesTheStaleEntryInPlace() {
        let engine = Self.storedEngine()
        var h = MachineHarness(engine: engine, now: Flow.seconds(30))
        h.client(Flow.get("/r"))
        h.connected()
        h.origin("HTTP/1.1 503 Service Unavailable\r\nCache-Control: max-age=100\r\nContent-Length: 4\r\n\r\ndown")
        #expect(!h.toClient.contains("down") && !h.toClient.contains(" 503 "))
        #expect(h.logs("cache_refresh").first?.value("outcome") == .text("not stored (status 503)"))
        let later = Flow.fetch(engine, Flow.get("/r"), origin: nil, at: Flow.seconds(31))
        #expect(later.toClient.hasSuffix("hello"))
    }

    @Test func aRequestPipelinedBehindTheRefreshIsAnsweredWhenItEnds() {
        let engine = Self.storedEngine()
        var h = MachineHarness(engine: engine, now: Flow.seconds(30))
        h.client(Flow.get("/r") + Flow.get("/other"))
        #expect(h.toClient.contains("X-Proxy-Cache: STALE\r\n"))
        #expect(h.logs("request_start").count == 1, "the second request waits for the refresh")
        h.connected()
        h.origin("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nCache-Control: max-age=100\r\n\r\n")
        #expect(h.logs("request_start").count == 2)
        // The pipelined request goes to the origin (the refresh's connection went back to the
        // driver's pool, which hands it out again).
        #expect(h.connects == ["origin.test:80", "origin.test:80"])
        h.connected()
        #expect(h.toUpstream.contains("GET /other HTTP/1.1\r\n"))
    }

    @Test func aClientThatSendsNoMoreRequestsGetsEOFAtOnce() {
        let engine = Self.storedEngine()
        var h = MachineHarness(engine: engine, now: Flow.seconds(30))
        h.client(Flow.get("/r", "Connection: close\r\n"))
        #expect(h.toClient.contains("Connection: close\r\n"))
        #expect(h.toClient.hasSuffix("hello"))
        #expect(h.actions.contains(.shutdownClientWrite))
        #expect(!h.clientClosed, "the connection stays for the refresh")
        h.connected()
        h.origin("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nCache-Control: max-age=100\r\n\r\n")
        #expect(h.clientClosed)
        #expect(h.logs("cache_refresh").first?.value("outcome") == .text("revalidated"))
    }

    @Test func whileOneConnectionRefreshesOthersAnswerStaleWithoutAskingTheOrigin() {
        let engine = Self.storedEngine()
        var first = MachineHarness(engine: engine, now: Flow.seconds(30))
        first.client(Flow.get("/r"))
        #expect(first.connects == ["origin.test:80"])
        let second = Flow.fetch(engine, Flow.get("/r"), origin: nil, at: Flow.seconds(31))
        #expect(second.connects.isEmpty)
        #expect(second.toClient.contains("X-Proxy-Cache: STALE\r\n"))
        // A HEAD within the window is answered stale and starts no refresh either.
        let head = Flow.fetch(engine, Flow.get("/r", method: "HEAD"), origin: nil, at: Flow.seconds(31))
        #expect(head.connects.isEmpty)
        #expect(head.toClient.contains("X-Proxy-Cache: STALE\r\n"))
    }

    @Test func pastTheWindowTheEntryIsValidatedFirst() {
        let engine = Self.storedEngine()
        var h = MachineHarness(engine: engine, now: Flow.seconds(71))
        h.client(Flow.get("/r"))
        #expect(h.toClient.isEmpty, "stale beyond the window: nothing before the origin answers")
        h.connected()
        h.origin("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nCache-Control: max-age=100\r\n\r\n")
        #expect(h.toClient.contains("X-Proxy-Cache: REVALIDATED\r\n"))
    }
}
