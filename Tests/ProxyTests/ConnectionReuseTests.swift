import Testing
import Proxy

@Suite struct ConnectionReuseTests {
    @Test func pipelinedRequestsAreAnsweredInOrderOverOneUpstreamConnection() {
        var h = MachineHarness()
        h.client("GET http://a.test/1 HTTP/1.1\r\nHost: a.test\r\n\r\nGET http://a.test/2 HTTP/1.1\r\nHost: a.test\r\n\r\n")
        #expect(h.connects == ["a.test:80"])
        #expect(!h.machine.wantsClientBytes) // second request waits in the backlog
        h.connected()
        #expect(h.toUpstream.offsets(of: "GET ").count == 1) // only the first sent
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none")
        #expect(h.connects == ["a.test:80"]) // reused: no second connect
        #expect(h.toUpstream.contains("GET /2 HTTP/1.1"))
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo")
        #expect(h.toClient.offsets(of: "HTTP/1.1 200 OK").count == 2)
        #expect((h.toClient.offsets(of: "one").first ?? .max) < (h.toClient.offsets(of: "two").first ?? -1))
        let upstreams = h.logs("request_complete").map { $0.value("upstream") }
        #expect(upstreams == [.text("new"), .text("reused")])
        #expect(h.machine.wantsClientBytes)
    }

    @Test func differentOriginReleasesTheIdleUpstreamToThePoolAndConnectsAnew() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        h.client("GET http://b.test/ HTTP/1.1\r\nHost: b.test\r\n\r\n")
        #expect(h.connects == ["a.test:80", "b.test:80"])
        #expect(h.actions.filter { $0 == .releaseUpstream }.count == 1 && h.upstreamCloses == 0)
    }

    @Test func anIdleUpstreamGoesToThePoolWhenTheClientLeaves() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        h.clientEOF()
        #expect(h.clientClosed)
        #expect(h.actions.filter { $0 == .releaseUpstream }.count == 1 && h.upstreamCloses == 0)
    }

    @Test func aClientThatCannotKeepAliveStillLeavesAReusableUpstreamToThePool() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.0\r\nHost: a.test\r\n\r\n") // HTTP/1.0: the client closes
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(h.clientClosed)
        #expect(h.actions.filter { $0 == .releaseUpstream }.count == 1 && h.upstreamCloses == 0)
        var closing = MachineHarness()
        closing.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        closing.connected()
        closing.origin("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
        #expect(!closing.actions.contains(.releaseUpstream) && closing.upstreamCloses == 1, "the origin said close")
    }

    @Test func anUpstreamInUseIsClosedNotPooled() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
        h.record { $0.clientFailed("Connection reset by peer", now: $1, into: &$2) }
        #expect(h.upstreamCloses == 1 && !h.actions.contains(.releaseUpstream))
    }

    @Test func aPooledConnectionIsReportedAsReusedAndAnIdempotentRequestIsRetriedOnceIfItFails() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.record { $0.upstreamConnected(reused: true, now: $1, into: &$2) }
        #expect(h.toUpstream.hasPrefix("GET / HTTP/1.1\r\n"))
        h.originEOF() // the origin had closed it just before: no response byte
        #expect(h.connects == ["a.test:80", "a.test:80"], "retried on a new connection")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(h.completedStatuses == [200])
        #expect(h.logs("request_complete").first?.value("upstream") == .text("new"))
    }

    @Test func theRetryAfterAPooledConnectionFailedAsksForANewConnectionNotAnotherPooledOne() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        #expect(h.connectsPoolAllowed == [true])
        h.record { $0.upstreamConnected(reused: true, now: $1, into: &$2) }
        h.originEOF()
        #expect(h.connectsPoolAllowed == [true, false])
    }

    @Test func aRetriedRequestThatFailsAgainOnItsNewConnectionIsNotRetriedAgainAndGets502() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.record { $0.upstreamConnected(reused: true, now: $1, into: &$2) }
        h.originEOF() // first failure, on the pooled connection: retried
        #expect(h.connects.count == 2)
        h.connected()
        #expect(h.toUpstream.offsets(of: "GET / HTTP/1.1").count == 2, "sent again on the new connection")
        h.originEOF() // second failure, on the new connection: no third attempt
        #expect(h.connects.count == 2)
        #expect(h.toClient.hasPrefix("HTTP/1.1 502 "))
        #expect(h.completedStatuses == [502])
        #expect(h.logs("request_complete").first?.value("upstream") == .text("new"))
    }

    @Test func aRetryThatCannotConnectIsNotRetriedAgainAndGets502() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.record { $0.upstreamConnected(reused: true, now: $1, into: &$2) }
        h.originEOF()
        h.record { $0.upstreamFailed(.connect("Connection refused"), now: $1, into: &$2) }
        #expect(h.connects.count == 2)
        #expect(h.toClient.hasPrefix("HTTP/1.1 502 "))
        #expect(h.completedStatuses == [502])
    }

    @Test func aPostOnAPooledConnectionIsNotRetried() {
        var h = MachineHarness()
        h.client("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 2\r\n\r\nhi")
        h.record { $0.upstreamConnected(reused: true, now: $1, into: &$2) }
        h.originEOF()
        #expect(h.connects == ["a.test:80"])
        #expect(h.toClient.hasPrefix("HTTP/1.1 502 "))
    }

    @Test func originConnectionCloseIsNotReused() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        #expect(h.upstreamCloses == 1)
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        #expect(h.connects.count == 2)
    }

    @Test func reusedConnectionClosedByOriginIsRetriedOnceForIdempotentRequests() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        h.client("GET http://a.test/again HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.originEOF() // the origin had closed the idle connection
        #expect(h.connects.count == 2)
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(h.completedStatuses == [200, 200])
    }

    @Test func reusedConnectionFailureIsNotRetriedForPost() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        h.client("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 0\r\n\r\n")
        h.originEOF()
        #expect(h.connects.count == 1)
        #expect(h.completedStatuses == [200, 502])
    }

    @Test func clientConnectionCloseEndsTheConnectionAfterTheResponse() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx")
        #expect(h.toClient.contains("Connection: close\r\n"))
        #expect(h.clientClosed)
    }
}
