/// The index (hash chains, doubly linked by offsets from the bucket heads) and the LRU list
/// (doubly linked by offsets, head most recently used, tail next to evict), and eviction.
/// Every function here runs with the lock held; each is O(1) except eviction, which skips
/// pinned entries at the tail.
extension CacheShard {
    /// Puts committed `entry` into its chain (first, so newest variants are found first) and
    /// at the LRU head.
    func link(_ entry: Int) {
        let bucket = layout.bucket(arena.load64(entry + F.hash))
        let first = arena.loadOffset(bucket)
        arena.storeOffset(entry + F.hashPrev, 0)
        arena.storeOffset(entry + F.hashNext, first)
        if first != 0 { arena.storeOffset(first + F.hashPrev, entry) }
        arena.storeOffset(bucket, entry)
        lruPushFront(entry)
        arena.store32(entry + F.state, EntryState.live.rawValue)
        addCounter(L.entryCount, 1)
    }

    /// Takes live `entry` out of the index and the LRU; frees it, or, if pinned, leaves it
    /// for the last unpin to free.
    func unlink(_ entry: Int) {
        let before = arena.loadOffset(entry + F.hashPrev)
        let after = arena.loadOffset(entry + F.hashNext)
        if after != 0 { arena.storeOffset(after + F.hashPrev, before) }
        if before != 0 {
            arena.storeOffset(before + F.hashNext, after)
        } else {
            arena.storeOffset(layout.bucket(arena.load64(entry + F.hash)), after)
        }
        lruRemove(entry)
        addCounter(L.entryCount, -1)
        if arena.load32(entry + F.pins) == 0 {
            release(entry)
        } else {
            arena.store32(entry + F.state, EntryState.unlinked.rawValue)
        }
    }

    func lruPushFront(_ entry: Int) {
        let head = arena.loadOffset(L.lruHead)
        arena.storeOffset(entry + F.lruPrev, 0)
        arena.storeOffset(entry + F.lruNext, head)
        if head != 0 {
            arena.storeOffset(head + F.lruPrev, entry)
        } else {
            arena.storeOffset(L.lruTail, entry)
        }
        arena.storeOffset(L.lruHead, entry)
    }

    func lruRemove(_ entry: Int) {
        let before = arena.loadOffset(entry + F.lruPrev)
        let after = arena.loadOffset(entry + F.lruNext)
        if before != 0 { arena.storeOffset(before + F.lruNext, after) } else { arena.storeOffset(L.lruHead, after) }
        if after != 0 { arena.storeOffset(after + F.lruPrev, before) } else { arena.storeOffset(L.lruTail, before) }
    }

    func lruMoveToFront(_ entry: Int) {
        guard arena.loadOffset(L.lruHead) != entry else { return }
        lruRemove(entry)
        lruPushFront(entry)
    }

    /// Evicts the least recently used unpinned entry; false if every entry is pinned.
    func evictOne() -> Bool {
        var victim = arena.loadOffset(L.lruTail)
        while victim != 0 && arena.load32(victim + F.pins) != 0 {
            victim = arena.loadOffset(victim + F.lruPrev)
        }
        guard victim != 0 else { return false }
        unlink(victim)
        addCounter(L.evictions, 1)
        return true
    }

    /// A used block of at least `size` bytes (a block size), evicting from the LRU tail until
    /// one fits; nil when nothing evictable is left. Counts it in `usedBytes`.
    func allocateEvicting(_ size: Int) -> Int? {
        guard size <= layout.heapEnd - layout.heapStart else { return nil }
        while true {
            if let block = heap.allocate(size) {
                addCounter(L.usedBytes, heap.size(block))
                return block
            }
            guard evictOne() else { return nil }
        }
    }
}
