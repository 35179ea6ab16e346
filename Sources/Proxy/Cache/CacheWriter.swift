/// A reservation being filled with a response body. Nothing is visible until `commit`, which
/// replaces an existing entry with the same key and identical variant bytes. Dropping a
/// writer without committing abandons it: a response that fails midway is never stored.
/// One owner at a time (not Sendable).
public final class CacheWriter {
    private let store: CacheShard
    private let generation: UInt64
    /// The reservation's block; moves when it grows.
    private var block: Int
    /// Data bytes the block holds (learnt under the lock).
    private var capacity: Int
    /// Data bytes written (key, variant, head, then body).
    private var filled: Int
    private let prefix: Int
    private var open = true

    init(store: CacheShard, block: Int, generation: UInt64, capacity: Int, filled: Int) {
        self.store = store
        self.block = block
        self.capacity = capacity
        self.generation = generation
        self.filled = filled
        prefix = filled
    }

    deinit { abandon() }

    /// Body bytes appended so far.
    public var bodyCount: Int { filled - prefix }

    /// Appends body bytes. False if they would exceed `maxObjectBytes` or no room can be
    /// made: the writer is then abandoned and later calls return false.
    public func append(_ bytes: Span<UInt8>) -> Bool {
        guard open else { return false }
        guard bytes.count <= store.maxObjectBytes - filled, store.isCurrent(generation) else {
            abandon()
            return false
        }
        let needed = filled + bytes.count
        if needed > capacity {
            let doubled = min(store.maxObjectBytes, max(needed, 2 * capacity))
            guard let moved = store.grow(block, generation: generation, filled: filled, to: doubled) else {
                open = false
                return false
            }
            block = moved.block
            capacity = moved.capacity
        }
        store.arena.copyIn(block + EntryField.data + filled, bytes)
        filled = needed
        return true
    }

    /// Appends body bytes from an array.
    public func append(_ bytes: [UInt8]) -> Bool {
        append(bytes.span)
    }

    /// Publishes the entry as the most recently used. False if the writer was abandoned or
    /// the store was wiped meanwhile (then nothing is stored).
    public func commit() -> Bool {
        guard open else { return false }
        open = false
        return store.commit(block, generation: generation, bodyCount: filled - prefix)
    }

    /// Frees the reservation (idempotent; nothing after `commit`).
    public func abandon() {
        guard open else { return }
        open = false
        store.abandon(block, generation: generation)
    }
}
