import Testing
import Proxy

/// CONNECT tunnels, driven event by event.
@Suite struct TunnelTests {
    static func harness(ports: [UInt16] = [443]) -> MachineHarness {
        MachineHarness(config: MachineHarness.config { $0.connectPorts = ports })
    }

    @Test func aTunnelRelaysBytesUnchangedBothWaysAndPropagatesHalfCloses() {
        var h = Self.harness()
        // A client may send its first tunnel bytes right behind the request head.
        h.client("CONNECT secure.test:443 HTTP/1.1\r\nHost: secure.test:443\r\n\r\n\u{16}\u{3}\u{1}hello")
        #expect(h.connects == ["secure.test:443"])
        #expect(h.toClient.isEmpty && h.toUpstream.isEmpty)
        h.connected()
        #expect(h.toClient == "HTTP/1.1 200 Connection Established\r\n\r\n")
        #expect(h.toUpstream == "\u{16}\u{3}\u{1}hello", "no request head goes upstream, only the tunnel bytes")
        h.origin("server says\r\n\r\nGET / HTTP/1.1\r\n") // opaque: never parsed as HTTP
        #expect(h.toClient.hasSuffix("server says\r\n\r\nGET / HTTP/1.1\r\n"))
        h.client([0, 255, 13, 10])
        #expect(h.actions.contains(.writeUpstream([0, 255, 13, 10])))
        #expect(h.machine.wantsClientBytes && h.machine.wantsUpstreamBytes)

        h.clientEOF()
        #expect(h.actions.contains(.shutdownUpstreamWrite))
        #expect(!h.clientClosed, "the origin may still answer after the client's EOF")
        h.origin("late answer")
        #expect(h.toClient.hasSuffix("late answer"))
        h.originEOF()
        #expect(h.actions.contains(.shutdownClientWrite))
        #expect(h.clientClosed && h.machine.isClosed)
        let closed = h.logs("tunnel_closed")
        #expect(closed.count == 1 && closed.first?.value("bytes_up") == .int(12) && closed.first?.value("bytes_down") == .int(42))
        #expect(h.completedStatuses == [200])
    }

    @Test func theOriginMayCloseFirst() {
        var h = Self.harness()
        h.client("CONNECT secure.test:443 HTTP/1.1\r\nHost: secure.test:443\r\n\r\n")
        h.connected()
        h.originEOF()
        #expect(h.actions.contains(.shutdownClientWrite) && !h.clientClosed)
        #expect(!h.machine.wantsUpstreamBytes, "nothing more to read from a closed origin")
        h.client("still sending")
        #expect(h.toUpstream == "still sending")
        h.clientEOF()
        #expect(h.clientClosed)
    }

    @Test func portsOutsideTheAllowlistGet403AndNoConnection() {
        var h = Self.harness()
        h.client("CONNECT mail.test:25 HTTP/1.1\r\nHost: mail.test:25\r\n\r\n")
        #expect(h.connects.isEmpty)
        #expect(h.toClient.hasPrefix("HTTP/1.1 403 "))
        #expect(h.clientClosed)
        #expect(h.logs("connect_denied").count == 1)
        var allowed = Self.harness(ports: [25, 443])
        allowed.client("CONNECT mail.test:25 HTTP/1.1\r\nHost: mail.test:25\r\n\r\n")
        #expect(allowed.connects == ["mail.test:25"])
    }

    @Test func anIdleTunnelIsClosed() {
        var h = Self.harness()
        h.client("CONNECT secure.test:443 HTTP/1.1\r\nHost: secure.test:443\r\n\r\n")
        h.connected()
        h.advance(ms: 299_000)
        h.origin("x") // traffic re-arms the idle timer
        h.advance(ms: 299_000)
        #expect(!h.clientClosed)
        h.advance(ms: 2_000)
        #expect(h.clientClosed)
        #expect(h.logs("tunnel_closed").first?.value("reason") == .text("idle timeout"))
    }

    @Test func aFailedConnectAnswers502AndClosesTheClient() {
        var h = Self.harness()
        h.client("CONNECT secure.test:443 HTTP/1.1\r\nHost: secure.test:443\r\n\r\n\u{16}\u{3}\u{1}")
        h.connectFailed(.connect("Connection refused"))
        #expect(h.toClient.hasPrefix("HTTP/1.1 502 "))
        #expect(h.clientClosed, "the bytes behind the head are tunnel data, never a next request")
    }

    @Test func aTunnelNeverReusesAKeptUpstreamConnection() {
        var h = Self.harness(ports: [80])
        h.client("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
        h.connected()
        h.origin("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        h.client("CONNECT a.test:80 HTTP/1.1\r\nHost: a.test:80\r\n\r\n")
        #expect(h.connects == ["a.test:80", "a.test:80"])
        #expect(h.actions.filter { $0 == .releaseUpstream }.count == 1, "the idle connection goes to the pool")
    }
}
