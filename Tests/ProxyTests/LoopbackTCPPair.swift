#if canImport(Glibc)
import Glibc
#endif
@testable import Proxy

/// A loopback TCP connection made the way the drivers make theirs: the listener by
/// `Socket.listen`, the connecting side by `Socket.startConnect`, the accepted side by
/// `Socket.accept`. Both descriptors are the caller's to close.
enum LoopbackTCPPair {
    static func make(listenLowWater: Int = 0, connectLowWater: Int = 0) throws -> (connected: Int32, accepted: Int32) {
        let listener = try Socket.listen(on: .v4(address: 0x7F00_0001, port: 0), notSentLowWater: listenLowWater)
        defer { Sys.close(listener) }
        guard let port = SocketOptions.localPort(listener) else { throw SystemError(call: "getsockname", errno: EINVAL) }
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
}
