import Testing
@testable import Proxy
#if canImport(Glibc)
import Glibc
#endif

/// Every client and origin socket gets TCP_NODELAY and the configured TCP_NOTSENT_LOWAT (0
/// leaves it unset: the kernel's default, no limit). Accepted sockets get them from the
/// listening socket, which the kernel copies them from; these tests fail on a kernel that
/// stops doing so.
@Suite struct SocketTuningTests {
    /// A loopback connection made the way the drivers make theirs: the listener by
    /// `Socket.listen`, the connecting side by `Socket.startConnect`, the accepted side by
    /// `Socket.accept`.
    private func connectedPair(listenLowWater: Int, connectLowWater: Int) throws -> (connected: Int32, accepted: Int32) {
        let listener = try Socket.listen(on: .v4(address: 0x7F00_0001, port: 0), notSentLowWater: listenLowWater)
        defer { Sys.close(listener) }
        let port = try #require(SocketOptions.localPort(listener))
        let (connected, _) = try Socket.startConnect(to: .v4(address: 0x7F00_0001, port: port), notSentLowWater: connectLowWater)
        // The handshake completes in the kernel; a bounded wait for the queued connection.
        for _ in 0..<200 {
            if let accepted = try Socket.accept(listener) {
                return (connected, accepted.fd)
            }
            usleep(5_000)
        }
        Sys.close(connected)
        throw SystemError(call: "accept", errno: ETIMEDOUT)
    }

    @Test func acceptedSocketsInheritTheListenersOptions() throws {
        let (connected, accepted) = try connectedPair(listenLowWater: 16_384, connectLowWater: 32_768)
        defer { Sys.close(connected); Sys.close(accepted) }
        #expect(SocketOptions.int(accepted, Int32(IPPROTO_TCP), TCP_NOTSENT_LOWAT) == 16_384)
        #expect(SocketOptions.int(accepted, Int32(IPPROTO_TCP), TCP_NODELAY) == 1)
        #expect(SocketOptions.int(connected, Int32(IPPROTO_TCP), TCP_NOTSENT_LOWAT) == 32_768)
        #expect(SocketOptions.int(connected, Int32(IPPROTO_TCP), TCP_NODELAY) == 1)
    }

    @Test func zeroLeavesTheKernelDefault() throws {
        let (connected, accepted) = try connectedPair(listenLowWater: 0, connectLowWater: 0)
        defer { Sys.close(connected); Sys.close(accepted) }
        // Unset reads back as 0: the socket follows net.ipv4.tcp_notsent_lowat (no limit by default).
        #expect(SocketOptions.int(connected, Int32(IPPROTO_TCP), TCP_NOTSENT_LOWAT) == 0)
        #expect(SocketOptions.int(accepted, Int32(IPPROTO_TCP), TCP_NOTSENT_LOWAT) == 0)
        #expect(SocketOptions.int(accepted, Int32(IPPROTO_TCP), TCP_NODELAY) == 1)
        #expect(SocketOptions.int(connected, Int32(IPPROTO_TCP), TCP_NODELAY) == 1)
    }
}
