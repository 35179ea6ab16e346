import Testing
@testable import Proxy

/// The drivers' write queue: heads, relayed bytes and stored bodies sent straight from the
/// cache arena leave in order and whole across partial sends, and a stored body keeps its
/// entry pinned exactly until the socket has taken it.
@Suite struct WriteQueueTests {
    @Test func bytesAndAStoredBodyArriveInOrderAcrossPartialSends() throws {
        let store = try CacheStore(capacityBytes: 4 << 20, maxObjectBytes: 1 << 20)
        let body = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let writer = try #require(store.beginStore(key: Array("http://a.test/big".utf8), variant: [], head: Array("H".utf8),
                                                   expectedBodyBytes: body.count))
        #expect(writer.append(body))
        #expect(writer.commit())
        let pair = try #require(SocketPair())

        var queue = WriteQueue()
        let head = Array("HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n".utf8)
        let tail = Array("next".utf8)
        queue.append(head)
        do { // the queue's reference is the only one left to the pin after this scope
            let pin = try #require(store.lookup(key: Array("http://a.test/big".utf8)) { _ in true })
            queue.append(.stored(StoredBody(pin)))
        }
        queue.append([]) // dropped: never an empty chunk
        queue.append(tail)
        #expect(queue.byteCount == head.count + body.count + tail.count)

        var received: [UInt8] = []
        var blockedFlushes = 0
        var rounds = 0
        while rounds < 10_000 {
            rounds += 1
            switch queue.flush(to: pair.writer) {
            case .drained:
                break
            case .blocked:
                blockedFlushes += 1
                #expect(store.snapshotByRecency().first?.pins == 1, "pinned while queued")
                received += pair.drain()
                continue
            case .failed(let message):
                Issue.record("send failed: \(message)")
            }
            break
        }
        while received.count < head.count + body.count + tail.count {
            let more = pair.drain()
            if more.isEmpty { break }
            received += more
        }
        #expect(blockedFlushes > 0, "the small send buffer made the queue wait")
        #expect(received == head + body + tail)
        #expect(queue.isEmpty && queue.byteCount == 0)
        // Drained: the queue let go of the pin.
        #expect(store.snapshotByRecency().first?.pins == 0)
    }

    @Test func aFailedSendEmptiesTheQueueAndReleasesTheStoredBody() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 256 << 10)
        let writer = try #require(store.beginStore(key: Array("k".utf8), variant: [], head: [], expectedBodyBytes: 1000))
        #expect(writer.append([UInt8](repeating: 7, count: 1000)))
        #expect(writer.commit())
        var queue = WriteQueue()
        do {
            let pin = try #require(store.lookup(key: Array("k".utf8)) { _ in true })
            queue.append(.stored(StoredBody(pin)))
        }
        #expect(store.snapshotByRecency().first?.pins == 1)
        let pair = try #require(SocketPair())
        pair.closeReader() // the peer is gone: the send fails with EPIPE
        #expect(queue.flush(to: pair.writer) == .failed("Broken pipe"))
        #expect(queue.isEmpty)
        #expect(store.snapshotByRecency().first?.pins == 0)
    }
}
