/// Bytes the state machine asked to send on one socket that the socket has not taken yet.
///
/// Bounded by the machine's flow control: the event loop reads from the other side only
/// while this queue is empty, so it holds at most one read's worth of relayed bytes plus the
/// framing and head the machine adds. Empty, it owns no heap memory (an idle connection parks
/// no buffer).
struct WriteQueue {
    private var chunks: [[UInt8]] = []
    /// Bytes of `chunks[0]` already sent.
    private var sentOfFirst = 0

    var isEmpty: Bool { chunks.isEmpty }

    /// Bytes still to send.
    var byteCount: Int { chunks.reduce(0) { $0 + $1.count } - sentOfFirst }

    mutating func append(_ bytes: [UInt8]) {
        if !bytes.isEmpty { chunks.append(bytes) }
    }

    enum Flush: Equatable {
        /// Everything was sent.
        case drained
        /// The socket's buffer is full (EAGAIN); wait for writability.
        case blocked(progress: Bool)
        /// The write failed (EPIPE, ECONNRESET, ...): the system's message.
        case failed(String)
    }

    /// Queued pieces no larger than this in all are sent as one (a head and a small body in
    /// one segment: one send instead of several).
    static let coalesceBytes = 16 * 1024

    /// Sends as much as the socket takes now.
    mutating func flush(to fd: Int32) -> Flush {
        if chunks.count > 1, sentOfFirst == 0 {
            let total = chunks.reduce(0) { $0 + $1.count }
            if total <= Self.coalesceBytes {
                var joined: [UInt8] = []
                joined.reserveCapacity(total)
                for chunk in chunks { joined.append(contentsOf: chunk) }
                chunks = [joined]
            }
        }
        var progress = false
        while let first = chunks.first {
            do {
                let n = try Sys.send(fd, first[sentOfFirst...])
                progress = progress || n > 0
                sentOfFirst += n
                if sentOfFirst == first.count {
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
