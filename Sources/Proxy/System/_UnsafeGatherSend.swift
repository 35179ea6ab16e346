// The one gathering send of the drivers, fenced here: it hands the kernel pointers into the
// chunks' storage (heap arrays, the cache arena), each valid only inside the nested
// `withUnsafeBytes`/`withBody` scopes the call is made from. Covered by the ASan runs and the
// faulty-I/O run (the test shim shortens and fails sendmsg like send).
#if canImport(Glibc)
import Glibc
#endif
import CSystemShims

extension Sys {
    /// Most chunks one `sendmsg` takes (far below IOV_MAX).
    static let gatherLimit = 16

    /// One `sendmsg` (MSG_NOSIGNAL) of `chunks` in order (at most `gatherLimit`), leaving out
    /// the first `skip` bytes of the first, which must leave at least one byte. Returns the
    /// bytes the socket took; may be short. With `holdingPartialSegment` the call adds
    /// MSG_MORE: TCP keeps a last segment shorter than the maximum until the next send without
    /// it, or until a close or shutdown, whose FIN then leaves in the same packet.
    static func send(_ fd: Int32, _ chunks: ArraySlice<OutboundChunk>, skippingFirst skip: Int,
                     holdingPartialSegment: Bool = false) throws(SystemError) -> Int {
        let flags = Int32(MSG_NOSIGNAL) | (holdingPartialSegment ? Int32(MSG_MORE) : 0)
        precondition(!chunks.isEmpty && chunks.count <= gatherLimit && skip < chunks[chunks.startIndex].count)
        return try retryingEINTR("sendmsg") {
            unsafe withUnsafeTemporaryAllocation(of: iovec.self, capacity: chunks.count) { vectors in
                unsafe gather(chunks, from: chunks.startIndex, skip: skip, into: vectors) {
                    var message = unsafe msghdr()
                    unsafe message.msg_iov = vectors.baseAddress
                    unsafe message.msg_iovlen = chunks.count
                    return unsafe Glibc.sendmsg(fd, &message, flags)
                }
            }
        }
    }

    /// Fills `vectors[i...]` from `chunks[i...]` inside nested pointer scopes, then sends.
    private static func gather(_ chunks: ArraySlice<OutboundChunk>, from index: Int, skip: Int,
                               into vectors: UnsafeMutableBufferPointer<iovec>, _ send: () -> Int) -> Int {
        guard index < chunks.endIndex else { return send() }
        let slot = index - chunks.startIndex
        let drop = slot == 0 ? skip : 0
        func fill(_ raw: UnsafeRawBufferPointer) -> Int {
            // Chunks are never empty (WriteQueue drops empty ones), so baseAddress is set.
            unsafe vectors[slot] = iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress.map { unsafe $0 + drop }),
                                         iov_len: raw.count - drop)
            return unsafe gather(chunks, from: index + 1, skip: skip, into: vectors, send)
        }
        switch chunks[index] {
        case .bytes(let bytes): return unsafe bytes.withUnsafeBytes { raw in unsafe fill(raw) }
        case .stored(let body): return unsafe body.pin.withBody { raw in unsafe fill(raw) }
        }
    }
}
