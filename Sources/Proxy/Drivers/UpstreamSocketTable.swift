/// One event loop's origin sockets, by index: the index (with a serial) is what an upstream
/// socket's epoll token carries, and it stays the same while the socket moves between a
/// client connection and the loop's pool of idle connections, so the registration never has
/// to be changed for the move. Confined to the loop's thread.
///
/// Invariant: every open upstream socket of the loop (connecting, in use or parked) has
/// exactly one entry, removed when the socket is closed; an index is reused only after that,
/// under a new serial, so a stale event (old serial) is recognised.
struct UpstreamSocketTable {
    /// Who holds a socket now.
    enum Owner: Equatable {
        /// The client connection in this connection-table slot.
        case connection(slot: Int)
        /// The loop's `LoopUpstreamPool`, as an idle connection to `key` (`host:port`).
        case parked(key: String)
    }

    struct Entry {
        let fd: Int32
        /// The serial in the socket's epoll token.
        let serial: UInt32
        var owner: Owner
    }

    private var entries: [Entry?] = []
    private var freeIndices: [Int] = []
    private(set) var count = 0

    /// Records a new socket; returns its index.
    mutating func add(fd: Int32, serial: UInt32, owner: Owner) -> Int {
        let entry = Entry(fd: fd, serial: serial, owner: owner)
        count += 1
        if let index = freeIndices.popLast() {
            entries[index] = entry
            return index
        }
        entries.append(entry)
        return entries.count - 1
    }

    /// The entry at `index`, nil when there is none (closed, or out of range).
    subscript(index: Int) -> Entry? {
        index >= 0 && index < entries.count ? entries[index] : nil
    }

    mutating func setOwner(_ index: Int, _ owner: Owner) {
        entries[index]?.owner = owner
    }

    /// Forgets the socket at `index` (it was closed).
    mutating func remove(_ index: Int) {
        guard index >= 0 && index < entries.count, entries[index] != nil else { return }
        entries[index] = nil
        freeIndices.append(index)
        count -= 1
    }
}
