import Testing
@testable import Proxy

/// `ConnectionMachine.clientInputComplete`: whether the client has nothing more to send,
/// which lets the epoll loop close without a lingering-close drain.
@Suite struct ClientInputCompleteTests {
    @Test func afterACompleteGETWithConnectionCloseNothingMoreIsExpected() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(h.clientClosed)
        #expect(h.machine.clientInputComplete)
    }

    @Test func anAnswerBeforeTheWholeRequestBodyLeavesInputDue() {
        var h = MachineHarness()
        h.client("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 10\r\n\r\nabc")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(h.clientClosed, "the rest of the body cannot be delimited: the connection ends")
        #expect(!h.machine.clientInputComplete)
    }

    @Test func aRequestRejectedWithItsBodyUnreadLeavesInputDue() {
        var h = MachineHarness(config: MachineHarness.config { $0.requestLimits.maxBodyBytes = 4 })
        h.client("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 100\r\n\r\nabcdefgh")
        #expect(h.clientClosed)
        #expect(!h.machine.clientInputComplete)
    }

    @Test func aMalformedRequestLeavesInputDue() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost a.test\r\n\r\n")
        #expect(h.clientClosed)
        #expect(!h.machine.clientInputComplete)
    }

    @Test func aPartialSecondRequestLeavesInputDue() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\nGET http://a.test/2 HT")
        #expect(!h.machine.clientInputComplete)
    }

    @Test func onlyAKnownEmptySocketAndACompleteRequestSkipTheDrain() {
        #expect(!EventLoop.needsLingeringDrain(socketMayHaveInput: false, inputComplete: true))
        #expect(EventLoop.needsLingeringDrain(socketMayHaveInput: true, inputComplete: true))
        #expect(EventLoop.needsLingeringDrain(socketMayHaveInput: false, inputComplete: false))
        #expect(EventLoop.needsLingeringDrain(socketMayHaveInput: true, inputComplete: false))
    }
}
