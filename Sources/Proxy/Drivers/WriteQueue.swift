/// Bytes the state machine asked to send on one socket that the socket has not taken yet.
///
/// Bounded by the machine's flow control: the event loop reads from the other side only
/// while this queue is empty, so it holds at most one read's worth of relayed bytes plus the
/// framing and head the machine adds, or a cache hit (its head, and its body as a pinned
/// view of the arena: memory the cache already counts, not a heap copy). Empty, it owns no
/// heap memory (an idle connection parks no buffer).
struct WriteQueue {
    private var chunks: [OutboundChunk] = []
    /// Bytes of `chunks[0]` already sent.
    private var sentOfFirst = 0

    var isEmpty: Bool { chunks.isEmpty }

    /// Bytes still to send.
    var byteCount: Int { chunks.reduce(0) { $0 + $1.count } - sentOfFirst }

    mutating func append(_ bytes: [UInt8]) {
        if !bytes.isEmpty { chunks.append(.bytes(bytes)) }
    }

    mutating func append(_ chunk: OutboundChunk) {
        if chunk.count > 0 { chunks.append(chunk) }
    }

    enum Flush: Equatable {
        /// Everything was sent.
        case drained
        /// The socket's buffer is full (EAGAIN); wait for writability.
        case blocked(progress: Bool)
        /// The write failed (EPIPE, ECONNRESET, ...): the system's message.
        case failed(String)
    }

    /// Sends as much as the socket takes now: up to `Sys.gatherLimit` chunks per call in one
    /// gathering send, so a head and its body (a hit: straight from the arena) leave in one
    /// system call, without being joined first.
    ///
    /// `closeFollows`: the caller closes (or shuts down) the socket as soon as the queue has
    /// drained, with nothing written after it. The sends then hold back their last, partial
    /// segment (MSG_MORE), which leaves together with the close's FIN: one packet fewer per
    /// connection for the peer to receive and acknowledge (a 1 KiB response and its FIN in
    /// one segment instead of two).
    mutating func flush(to fd: Int32, closeFollows: Bool = false) -> Flush {
        var progress = false
        while !chunks.isEmpty {
            do {
                var n = try Sys.send(fd, chunks.prefix(Sys.gatherLimit), skippingFirst: sentOfFirst, holdingPartialSegment: closeFollows)
                progress = progress || n > 0
                // Drop what was sent: whole chunks, then part of the next.
                while n > 0, let first = chunks.first {
                    let left = first.count - sentOfFirst
                    if n < left {
                        sentOfFirst += n
                        break
                    }
                    n -= left
                    chunks.removeFirst()
                    sentOfFirst = 0
                }
            } catch {
                if error.isWouldBlock { return .blocked(progress: progress) }
                self = WriteQueue()
                return .failed(error.message)
            }
        }
        self = WriteQueue() // release the array's storage
        return .drained
    }

    mutating func removeAll() { self = WriteQueue() }
}
