import Testing
@testable import Proxy
#if canImport(Glibc)
import Glibc
#endif

/// A queue flushed with `closeFollows` holds its last partial segment for the FIN: the
/// response and the end of the connection leave in one segment, and the peer still gets
/// every byte and then end of file.
@Suite struct WriteQueueCloseFollowsTests {
    /// Sends a 1 KiB response from the accepted side, ends it with shutdown(SHUT_WR) as a
    /// close would, and returns the segments that side sent after the handshake and what the
    /// peer read up to end of file.
    private func respondAndEnd(closeFollows: Bool) throws -> (segments: UInt32, received: [UInt8]) {
        let (client, server) = try LoopbackTCPPair.make()
        defer { Sys.close(client); Sys.close(server) }
        let response = Array("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n".utf8)
            + [UInt8](repeating: 0x61, count: 1000)
        var queue = WriteQueue()
        queue.append(response)
        #expect(queue.flush(to: server, closeFollows: closeFollows) == .drained)
        Sys.shutdownWrite(server)
        // Blocking reads on the client side until end of file, bounded in count.
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<1000 {
            guard let n = try? Sys.read(client, into: &buffer, max: buffer.count) else { usleep(1_000); continue }
            if n == 0 { break }
            received += buffer[0..<n]
        }
        return (try #require(SocketOptions.segmentsSent(server)), received)
    }

    @Test func theLastSegmentLeavesWithTheFin() throws {
        let plain = try respondAndEnd(closeFollows: false)
        let held = try respondAndEnd(closeFollows: true)
        let expected = Array("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n".utf8)
            + [UInt8](repeating: 0x61, count: 1000)
        #expect(plain.received == expected)
        #expect(held.received == expected, "every byte, then end of file")
        // Data, then a FIN, against data with the FIN.
        #expect(held.segments == plain.segments - 1, "plain \(plain.segments), held \(held.segments)")
    }
}
