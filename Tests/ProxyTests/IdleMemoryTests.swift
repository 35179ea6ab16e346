import Testing
@testable import Proxy

/// `releaseIdleMemory` lets an idle keep-alive connection drop its parsers and buffers
/// without changing what the connection does next.
@Suite struct IdleMemoryTests {
    @Test func releasingBetweenRequestsKeepsTheConnectionWorking() {
        var h = MachineHarness()
        let released1 = h.machine.releaseIdleMemory()
        #expect(!released1, "nothing allocated before the first byte")
        h.client("GET http://a.test/1 HTTP/1.1\r\nHost: a.test\r\n\r\n")
        let released2 = h.machine.releaseIdleMemory()
        #expect(!released2, "a request in progress keeps everything")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none")
        #expect(h.machine.isBetweenRequests)
        let released3 = h.machine.releaseIdleMemory()
        #expect(released3)
        let released4 = h.machine.releaseIdleMemory()
        #expect(!released4, "released once")
        // The same upstream connection is reused and the second exchange is byte-exact.
        h.client("GET http://a.test/2 HTTP/1.1\r\nHost: a.test\r\n\r\n")
        #expect(h.connects == ["a.test:80"])
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo")
        #expect(h.toClient.offsets(of: "HTTP/1.1 200 OK").count == 2)
        #expect(h.toClient.hasSuffix("two"))
        #expect(h.logs("request_complete").map { $0.value("upstream") } == [.text("new"), .text("reused")])
    }

    @Test func aPartialRequestHeadIsNeverReleased() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHo")
        let released5 = h.machine.releaseIdleMemory()
        #expect(!released5)
        h.client("st: a.test\r\n\r\n")
        #expect(h.connects == ["a.test:80"])
    }

    /// The parsers stay in their boxes from request to request: a parse call that took its
    /// box for shared would copy the parser into a new box every time. (The test keeps weak
    /// references: a freed box cannot be mistaken for a new one at the same address.)
    @Test func parsersAreKeptAcrossRequests() {
        var h = MachineHarness()
        h.client("GET http://a.test/1 HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none")
        weak var firstRequest = h.machine.parserBoxes.request
        weak var firstResponse = h.machine.parserBoxes.response
        #expect(firstRequest != nil && firstResponse != nil)
        h.client("GET http://a.test/2 HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo")
        #expect(h.toClient.hasSuffix("two"))
        #expect(firstRequest != nil && h.machine.parserBoxes.request === firstRequest, "the request parser moved to a new box")
        #expect(firstResponse != nil && h.machine.parserBoxes.response === firstResponse, "the response parser moved to a new box")
    }

    @Test func copiesOfAMachineDoNotShareParserState() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHo")
        var copy = h
        copy.client("st: a.test\r\n\r\n")
        #expect(copy.connects == ["a.test:80"])
        h.client("\r\n\r\n") // the original still waits for its own "Host" line: a bad line here
        #expect(h.connects.isEmpty)
        #expect(h.toClient.hasPrefix("HTTP/1.1 400 "))
    }
}

@Suite struct DetachIdleUpstreamTests {
    @Test func anIdleKeepAliveClientGivesItsOriginConnectionBack() {
        var h = MachineHarness()
        h.client("GET http://a.test/1 HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.connected()
        h.record { machine, _, out in machine.detachIdleUpstream(into: &out) }
        #expect(!h.actions.contains(.releaseUpstream), "not while the exchange runs")
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none")
        h.record { machine, _, out in machine.detachIdleUpstream(into: &out) }
        #expect(h.actions.filter { $0 == .releaseUpstream }.count == 1)
        // The next request asks for a connection again (the driver takes one from its pool).
        h.client("GET http://a.test/2 HTTP/1.1\r\nHost: a.test\r\n\r\n")
        #expect(h.connects == ["a.test:80", "a.test:80"])
        h.record { $0.upstreamConnected(reused: true, now: $1, into: &$2) }
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo")
        #expect(h.logs("request_complete").map { $0.value("upstream") } == [.text("new"), .text("reused")])
    }
}
