import Testing
@testable import Proxy

/// `ConnectionMachine.retriesFailedReuse`, which tells the epoll loop whether a pooled origin
/// connection must be checked before reuse: only requests that would not be retried on a
/// new connection after a reused one failed need the check.
@Suite struct RetriesFailedReuseTests {
    @Test func aCompleteGETWaitingForItsConnectionWouldBeRetried() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        #expect(h.connects == ["a.test:80"])
        #expect(h.machine.retriesFailedReuse)
    }

    @Test func aPOSTWithABodyWouldNot() {
        var h = MachineHarness()
        h.client("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 2\r\n\r\nok")
        #expect(h.connects == ["a.test:80"])
        #expect(!h.machine.retriesFailedReuse)
    }

    @Test func aGETWhoseRetryIsUnderWayWouldNotBeRetriedAgain() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.record { $0.upstreamConnected(reused: true, now: $1, into: &$2) }
        h.originEOF()
        #expect(h.connectsPoolAllowed == [true, false], "the retry asks for a new connection")
        #expect(!h.machine.retriesFailedReuse)
    }

    @Test func withNoExchangeThereIsNothingToRetry() {
        let h = MachineHarness()
        #expect(!h.machine.retriesFailedReuse)
    }
}
