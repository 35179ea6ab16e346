import Testing
import Proxy
import SafeParse

@Suite struct ForwardingTests {
    static let curlGET = "GET http://Example.com/a/b?c=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nProxy-Connection: Keep-Alive\r\n\r\n"

    @Test func absoluteFormGetIsSentUpstreamInOriginFormWithHostAndVia() {
        var h = MachineHarness()
        h.client(Self.curlGET)
        #expect(h.connects == ["example.com:80"])
        #expect(h.toUpstream.isEmpty)
        h.connected()
        #expect(h.toUpstream == "GET /a/b?c=1 HTTP/1.1\r\nHost: Example.com\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nVia: 1.1 portcullis-test\r\n\r\n")
    }

    @Test func responseIsRelayedWithViaAndCacheStatus() {
        var h = MachineHarness()
        h.client(Self.curlGET)
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
        #expect(h.toClient == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nVia: 1.1 portcullis-test\r\nX-Proxy-Cache: BYPASS\r\n\r\nhello")
        #expect(h.completedStatuses == [200])
        #expect(!h.clientClosed)
        let complete = h.logs("request_complete").first
        #expect(complete?.value("cache") == .text("BYPASS"))
        #expect(complete?.value("upstream") == .text("new"))
    }

    @Test func clientHostThatDiffersFromTheURIIsReplacedByTheURIAuthority() {
        var h = MachineHarness()
        h.client("GET http://origin.test:8080/ HTTP/1.1\r\nHost: evil.test\r\n\r\n")
        h.connected()
        #expect(h.connects == ["origin.test:8080"])
        #expect(h.toUpstream.hasPrefix("GET / HTTP/1.1\r\nHost: origin.test:8080\r\n"))
        #expect(!h.toUpstream.contains("evil.test"))
    }

    @Test func hopByHopFieldsAndFieldsNamedByConnectionAreDropped() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nConnection: X-Private, keep-alive\r\nX-Private: secret\r\nKeep-Alive: 300\r\nTE: trailers\r\nUpgrade: h2c\r\nProxy-Authorization: Basic eA==\r\nX-Kept:  spaced value \r\n\r\n")
        h.connected()
        #expect(h.toUpstream == "GET / HTTP/1.1\r\nHost: a.test\r\nX-Kept:  spaced value \r\nVia: 1.1 portcullis-test\r\n\r\n")
    }

    @Test func hopByHopResponseFieldsAreDroppedToo() {
        var h = MachineHarness()
        h.client(Self.curlGET)
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nConnection: X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n")
        #expect(h.toClient == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nVia: 1.1 portcullis-test\r\nX-Proxy-Cache: BYPASS\r\n\r\n")
    }

    @Test func viaThatAlreadyNamesThisProxyIsALoop() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nVia: 1.0 other, 1.1 Portcullis-Test (portcullis)\r\n\r\n")
        #expect(h.connects.isEmpty)
        #expect(h.toClient.hasPrefix("HTTP/1.1 508 Loop Detected\r\n"))
        #expect(h.completedStatuses == [508])
    }

    @Test func anotherProxysViaIsKeptAndOursAppended() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nVia: 1.1 squid\r\n\r\n")
        h.connected()
        #expect(h.toUpstream.hasSuffix("Via: 1.1 squid\r\nVia: 1.1 portcullis-test\r\n\r\n"))
    }

    @Test func chunkedRequestBodyIsReframedUpstream() {
        var h = MachineHarness()
        h.client("POST http://a.test/up HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n")
        h.connected()
        h.client("2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n")
        #expect(h.toUpstream == "POST /up HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\nVia: 1.1 portcullis-test\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    }

    @Test func contentLengthRequestBodyStreamsAsIs() {
        var h = MachineHarness()
        h.client("PUT http://a.test/x HTTP/1.1\r\nHost: a.test\r\nContent-Length: 10\r\n\r\n01234")
        #expect(h.toUpstream.isEmpty) // held until connected
        h.connected()
        h.client("56789")
        #expect(h.toUpstream.hasSuffix("Content-Length: 10\r\nVia: 1.1 portcullis-test\r\n\r\n0123456789"))
    }

    @Test func chunkedResponseIsRechunkedForHTTP11Clients() {
        var h = MachineHarness()
        h.client(Self.curlGET)
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        h.origin("6\r\n world\r\n0\r\n\r\n")
        #expect(h.toClient.hasSuffix("Transfer-Encoding: chunked\r\nVia: 1.1 portcullis-test\r\nX-Proxy-Cache: BYPASS\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"))
        #expect(h.completedStatuses == [200])
    }

    @Test func untilCloseResponseBecomesChunkedForHTTP11AndCloseDelimitedForHTTP10() {
        var h = MachineHarness()
        h.client(Self.curlGET)
        h.connected()
        h.origin("HTTP/1.0 200 OK\r\n\r\nstream")
        h.originEOF()
        #expect(h.toClient.hasSuffix("Transfer-Encoding: chunked\r\nVia: 1.1 portcullis-test\r\nX-Proxy-Cache: BYPASS\r\n\r\n6\r\nstream\r\n0\r\n\r\n"))
        #expect(!h.clientClosed)

        var old = MachineHarness()
        old.client("GET http://a.test/ HTTP/1.0\r\n\r\n")
        old.connected()
        old.origin("HTTP/1.0 200 OK\r\n\r\nstream")
        #expect(!old.clientClosed)
        old.originEOF()
        #expect(old.toClient.hasSuffix("Via: 1.1 portcullis-test\r\nConnection: close\r\nX-Proxy-Cache: BYPASS\r\n\r\nstream"))
        #expect(old.clientClosed)
    }

    @Test func headResponseCarriesContentLengthButNoBody() {
        var h = MachineHarness()
        h.client("HEAD http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.connected()
        #expect(h.toUpstream.hasPrefix("HEAD / HTTP/1.1\r\n"))
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")
        #expect(h.toClient.hasPrefix("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n"))
        #expect(h.completedStatuses == [200])
    }

    @Test func http10KeepAliveClientGetsKeepAlive() {
        var h = MachineHarness()
        h.client("GET http://a.test/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(h.toClient.contains("Connection: keep-alive\r\n"))
        #expect(!h.clientClosed)
    }

    @Test func interimContinueIsForwardedToHTTP11Clients() {
        var h = MachineHarness()
        h.client("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        h.connected()
        h.origin("HTTP/1.1 100 Continue\r\n\r\n")
        #expect(h.toClient == "HTTP/1.1 100 Continue\r\n\r\n")
        h.client("hi")
        h.origin("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
        #expect(h.toClient.hasSuffix("HTTP/1.1 201 Created\r\nContent-Length: 0\r\nVia: 1.1 portcullis-test\r\nX-Proxy-Cache: BYPASS\r\n\r\n"))
        #expect(h.toUpstream.hasSuffix("\r\n\r\nhi"))
    }

    @Test func anyMethodTokenIsForwarded() {
        for method in ["DELETE", "OPTIONS", "PATCH", "PROPFIND", "X-CUSTOM"] {
            var h = MachineHarness()
            h.client("\(method) http://a.test/r HTTP/1.1\r\nHost: a.test\r\n\r\n")
            h.connected()
            #expect(h.toUpstream.hasPrefix("\(method) /r HTTP/1.1\r\n"), "method \(method)")
        }
    }
}
