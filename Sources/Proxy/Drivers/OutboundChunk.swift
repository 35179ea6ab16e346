/// One piece of a socket's pending output: bytes the machine built (heads, relayed body
/// bytes, framing), or a stored body sent in place from the cache arena.
enum OutboundChunk {
    case bytes([UInt8])
    case stored(StoredBody)

    var count: Int {
        switch self {
        case .bytes(let bytes): bytes.count
        case .stored(let body): body.count
        }
    }
}

extension ConnectionAction {
    /// The chunk a client write action queues; nil for every other action.
    var clientChunk: OutboundChunk? {
        switch self {
        case .writeClient(let bytes): .bytes(bytes)
        case .writeClientStored(let body): .stored(body)
        default: nil
        }
    }
}
