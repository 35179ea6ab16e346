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
    @Test func acceptedSocketsInheritTheListenersOptions() throws {
        let (connected, accepted) = try LoopbackTCPPair.make(listenLowWater: 16_384, connectLowWater: 32_768)
        defer { Sys.close(connected); Sys.close(accepted) }
        #expect(SocketOptions.int(accepted, Int32(IPPROTO_TCP), TCP_NOTSENT_LOWAT) == 16_384)
        #expect(SocketOptions.int(accepted, Int32(IPPROTO_TCP), TCP_NODELAY) == 1)
        #expect(SocketOptions.int(connected, Int32(IPPROTO_TCP), TCP_NOTSENT_LOWAT) == 32_768)
        #expect(SocketOptions.int(connected, Int32(IPPROTO_TCP), TCP_NODELAY) == 1)
    }

    @Test func zeroLeavesTheKernelDefault() throws {
        let (connected, accepted) = try LoopbackTCPPair.make(listenLowWater: 0, connectLowWater: 0)
        defer { Sys.close(connected); Sys.close(accepted) }
        // Unset reads back as 0: the socket follows net.ipv4.tcp_notsent_lowat (no limit by default).
        #expect(SocketOptions.int(connected, Int32(IPPROTO_TCP), TCP_NOTSENT_LOWAT) == 0)
        #expect(SocketOptions.int(accepted, Int32(IPPROTO_TCP), TCP_NOTSENT_LOWAT) == 0)
        #expect(SocketOptions.int(accepted, Int32(IPPROTO_TCP), TCP_NODELAY) == 1)
        #expect(SocketOptions.int(connected, Int32(IPPROTO_TCP), TCP_NODELAY) == 1)
    }
}
