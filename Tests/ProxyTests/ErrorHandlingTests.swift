import Testing
import Proxy
import SafeParse

@Suite struct ErrorHandlingTests {
    @Test(arguments: [
        ("GET http://a.test/ HTTP/1.1\r\nHost : a.test\r\n\r\n", 400, "whitespace_before_colon"),
        ("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nX: a\r\n b\r\n\r\n", 400, "obs_fold"),
        ("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "transfer_encoding_with_content_length"),
        ("GET http://a.test/ HTTP/2.0\r\nHost: a.test\r\n\r\n", 505, "unsupported_version"),
        ("GET http://a.test/ HTTP/1.1\r\n\r\n", 400, "missing_host"),
        ("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "unsupported_transfer_coding"),
    ])
    func malformedRequestsAreAnsweredWithoutOpeningAnUpstream(request: String, status: Int, reason: String) {
        var h = MachineHarness()
        h.client(request)
        #expect(h.connects.isEmpty)
        #expect(h.toClient.hasPrefix("HTTP/1.1 \(status) "))
        #expect(h.toClient.contains("Connection: close\r\n"))
        #expect(h.logs("request_rejected").first?.value("reason") == .text(reason))
        #expect(h.clientClosed)
    }

    @Test func limitsAnswer414And431And413() {
        var h = MachineHarness(config: MachineHarness.config { $0.requestLimits.maxRequestLineBytes = 64 })
        h.client("GET http://a.test/" + String(repeating: "a", count: 80) + " HTTP/1.1\r\n")
        #expect(h.toClient.hasPrefix("HTTP/1.1 414 URI Too Long\r\n"))

        var fields = MachineHarness(config: MachineHarness.config { $0.requestLimits.maxFieldCount = 2 })
        fields.client("GET http://a.test/ HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n")
        #expect(fields.toClient.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))

        var body = MachineHarness(config: MachineHarness.config { $0.requestLimits.maxBodyBytes = 10 })
        body.client("POST http://a.test/ HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n")
        #expect(body.toClient.hasPrefix("HTTP/1.1 413 Content Too Large\r\n"))
        #expect(body.connects.isEmpty)
    }

    @Test func errorPageNamesTheSafeParseReason() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nBad\u{1}: x\r\n\r\n")
        #expect(h.toClient.contains("Bad request: invalid header field name."))
    }

    @Test func originFormIsRefusedInForwardMode() {
        var h = MachineHarness()
        h.client("GET /index.html HTTP/1.1\r\nHost: a.test\r\n\r\n")
        #expect(h.connects.isEmpty)
        #expect(h.toClient.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(h.logs("request_complete").first?.value("status") == .int(400))
        #expect(!h.clientClosed) // no body was pending: the connection may go on
    }

    @Test func httpsURIsAreNotImplemented() {
        var s = MachineHarness()
        s.client("GET https://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        #expect(s.toClient.hasPrefix("HTTP/1.1 501 Not Implemented\r\n"))
        #expect(s.connects.isEmpty)
    }

    @Test func dnsFailureIs502NamingTheHost() {
        var h = MachineHarness()
        h.client("GET http://nonexistent.invalid/ HTTP/1.1\r\nHost: nonexistent.invalid\r\n\r\n")
        h.connectFailed(.resolve("Name or service not known"))
        #expect(h.toClient.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"))
        #expect(h.toClient.contains("Could not connect to origin server: nonexistent.invalid"))
        let warn = h.logs("server_connect_failed").first
        #expect(warn?.level == .warn)
        #expect(warn?.value("error") == .text("Name or service not known"))
        #expect(h.logs("request_complete").first?.value("upstream") == nil)
        #expect(!h.clientClosed)
    }

    @Test func connectTimeoutIs504() {
        var h = MachineHarness(config: MachineHarness.config { $0.timeouts.upstreamConnectMs = 100 })
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.advance(ms: 99)
        #expect(h.toClient.isEmpty)
        h.advance(ms: 2)
        #expect(h.toClient.hasPrefix("HTTP/1.1 504 Gateway Timeout\r\n"))
    }

    @Test func responseHeadTimeoutIs504() {
        var h = MachineHarness(config: MachineHarness.config { $0.timeouts.upstreamResponseMs = 50 })
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.connected()
        h.advance(ms: 51)
        #expect(h.toClient.hasPrefix("HTTP/1.1 504 Gateway Timeout\r\n"))
        #expect(h.upstreamCloses >= 1)
    }

    @Test func malformedUpstreamResponseIs502() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
        #expect(h.toClient.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"))
        #expect(h.toClient.contains("Malformed response from origin server: a.test"))
        #expect(h.logs("server_response_invalid").first?.value("reason") == .text("conflicting_content_length"))
    }

    @Test func truncatedUpstreamBodyAbortsTheClientConnection() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        h.originEOF()
        #expect(h.clientClosed)
        #expect(!h.toClient.contains("502")) // the head was already sent: no error page after it
        #expect(h.logs("request_aborted").count == 1)
    }

    @Test func upstreamClosingBeforeAnyResponseIs502() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.connected()
        h.originEOF()
        #expect(h.toClient.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"))
    }

    @Test func slowLorisGets408AndIdleConnectionsCloseSilently() {
        var h = MachineHarness(config: MachineHarness.config { $0.timeouts.clientHeadMs = 1000 })
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a")
        h.advance(ms: 1001)
        #expect(h.toClient.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(h.clientClosed)

        var idle = MachineHarness(config: MachineHarness.config { $0.timeouts.clientIdleMs = 500 })
        idle.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        idle.connected()
        idle.origin("HTTP/1.1 204 No Content\r\n\r\n")
        idle.reset()
        idle.advance(ms: 501)
        #expect(idle.toClient.isEmpty)
        #expect(idle.clientClosed)
    }

    @Test func stalledRequestBodyGets408FromTheBodyIdleTimer() {
        var h = MachineHarness(config: MachineHarness.config {
            $0.timeouts.bodyIdleMs = 100
            $0.timeouts.upstreamResponseMs = 10_000
        })
        h.client("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 10\r\n\r\n")
        h.connected()
        h.advance(ms: 60)
        h.client("abc") // activity re-arms the timer
        h.advance(ms: 60)
        #expect(h.toClient.isEmpty)
        h.advance(ms: 50)
        #expect(h.toClient.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(h.clientClosed)
    }

    @Test func afterTheBodyTheResponseTimerRuns() {
        var h = MachineHarness(config: MachineHarness.config {
            $0.timeouts.bodyIdleMs = 100
            $0.timeouts.upstreamResponseMs = 300
        })
        h.client("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n\r\n")
        h.connected()
        h.client("abc")
        h.advance(ms: 250)
        #expect(h.toClient.isEmpty)
        h.advance(ms: 60)
        #expect(h.toClient.hasPrefix("HTTP/1.1 504 Gateway Timeout\r\n"))
    }

    @Test func clientOutsideTheAllowListGets403() {
        let h = MachineHarness(client: .v4(address: 0x0A00_0001, port: 5555)) // 10.0.0.1
        #expect(h.toClient.hasPrefix("HTTP/1.1 403 Forbidden\r\n"))
        #expect(h.clientClosed)
        #expect(h.logs("client_denied").first?.value("client") == .text("10.0.0.1:5555"))
    }

    @Test func ipv6LoopbackIsAllowedByDefault() {
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes[15] = 1
        let h = MachineHarness(client: .v6(address: bytes, port: 1, scope: 0))
        #expect(h.toClient.isEmpty)
        #expect(!h.clientClosed)
    }

    @Test func clientClosingMidBodyClosesTheUpstream() {
        var h = MachineHarness()
        h.client("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 100\r\n\r\nabc")
        h.connected()
        h.clientEOF()
        #expect(h.clientClosed)
        #expect(h.upstreamCloses == 1)
    }

    @Test func clientHalfCloseAfterACompleteRequestStillGetsTheResponse() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.clientEOF()
        #expect(!h.clientClosed)
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(h.toClient.hasSuffix("ok"))
        #expect(h.clientClosed)
    }
}
