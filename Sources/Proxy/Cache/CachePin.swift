import Synchronization

/// A pinned entry: its bytes stay allocated and unchanged until the pin is released, even if
/// the entry is evicted, removed or replaced meanwhile. Unpinned on deinit or by `release()`
/// (idempotent); the bytes must not be read after that.
public final class CachePin: @unchecked Sendable {
    let store: CacheShard
    private let block: Int
    private let generation: UInt64
    private let released = Atomic<Bool>(false)
    public let keyCount: Int
    public let variantCount: Int
    public let headCount: Int
    public let bodyCount: Int

    /// Made by `CacheShard.lookup`, which pinned `block` and read its counts under the lock.
    init(store: CacheShard, block: Int, generation: UInt64, counts: EntryCounts) {
        self.store = store
        self.block = block
        self.generation = generation
        keyCount = counts.key
        variantCount = counts.variant
        headCount = counts.head
        bodyCount = counts.body
    }

    deinit { release() }

    private var variantOffset: Int { block + EntryField.data + keyCount }
    private var headOffset: Int { variantOffset + variantCount }
    var bodyOffset: Int { headOffset + headCount }

    func checkPinned() {
        precondition(!released.load(ordering: .relaxed), "CachePin used after release")
    }

    public func withHead<R, E: Error>(_ body: (Span<UInt8>) throws(E) -> R) throws(E) -> R {
        checkPinned()
        return try store.arena.withSpan(headOffset, count: headCount, body)
    }

    public func withVariant<R, E: Error>(_ body: (Span<UInt8>) throws(E) -> R) throws(E) -> R {
        checkPinned()
        return try store.arena.withSpan(variantOffset, count: variantCount, body)
    }

    public func copyHead() -> [UInt8] {
        checkPinned()
        return store.arena.copyOut(headOffset, count: headCount)
    }

    public func copyVariant() -> [UInt8] {
        checkPinned()
        return store.arena.copyOut(variantOffset, count: variantCount)
    }

    /// Body bytes in `range` (clamped to the body).
    public func copyBody(_ range: Range<Int>) -> [UInt8] {
        checkPinned()
        let lower = min(max(range.lowerBound, 0), bodyCount)
        let upper = min(max(range.upperBound, lower), bodyCount)
        return store.arena.copyOut(bodyOffset + lower, count: upper - lower)
    }

    /// Unpins the entry (once; later calls do nothing).
    public func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        store.unpin(block, generation: generation)
    }
}

/// The byte counts of an entry's parts.
struct EntryCounts {
    var key: Int
    var variant: Int
    var head: Int
    var body: Int
}
