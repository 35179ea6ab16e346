#if canImport(Glibc)
import Glibc
#endif

/// Invariant checks and views of a shard's internals, for tests. Each walks the whole shard
/// under its lock: O(size), never on a request path.
extension CacheShard {
    /// True if every invariant holds (see `validationProblem`).
    func validate() -> Bool { validationProblem() == nil }

    /// nil if every invariant holds, else the first one broken:
    /// - blocks tile the heap exactly, end at the sentinel, carry correct boundary tags, and
    ///   no two free blocks are adjacent;
    /// - the free lists hold exactly the free blocks, each in its size class, with doubly
    ///   linked neighbours and bitmaps that say which lists are non-empty;
    /// - `usedBytes` is the sum of used block sizes;
    /// - the index and the LRU hold the same live entries, `entryCount` of them, each in the
    ///   chain of its hash, with consistent back links; every live entry's bytes fit its block;
    /// - every used block is live, a reservation, or unlinked and still pinned.
    func validationProblem() -> String? {
        locked { check() } ?? "lock unusable"
    }

    private func check() -> String? {
        typealias B = ArenaBlock
        // The heap walk.
        var usedBlocks: [Int: EntryState] = [:]
        var freeBlocks = Set<Int>()
        var usedTotal = 0
        var block = layout.heapStart
        var previousFree = false
        var previousSize = 0
        while block < layout.heapEnd {
            let size = heap.size(block)
            guard size >= B.minimumBytes, size % B.alignment == 0, block + size <= layout.heapEnd else {
                return "block \(block): bad size \(size)"
            }
            guard heap.isPrevFree(block) == previousFree else { return "block \(block): prev-free flag wrong" }
            if previousFree && Int(arena.load64(block + B.prevSize)) != previousSize {
                return "block \(block): boundary tag \(arena.load64(block + B.prevSize)) != \(previousSize)"
            }
            if heap.isFree(block) {
                if previousFree { return "block \(block): two adjacent free blocks" }
                freeBlocks.insert(block)
            } else {
                guard let state = EntryState(rawValue: arena.load32(block + F.state)) else {
                    return "block \(block): used block with state \(arena.load32(block + F.state))"
                }
                if state == .unlinked && arena.load32(block + F.pins) == 0 {
                    return "block \(block): unlinked but unpinned (leaked)"
                }
                usedBlocks[block] = state
                usedTotal += size
            }
            previousFree = heap.isFree(block)
            previousSize = size
            block += size
        }
        guard block == layout.heapEnd else { return "blocks overrun the heap end" }
        guard heap.size(layout.heapEnd) == 0, !heap.isFree(layout.heapEnd),
              heap.isPrevFree(layout.heapEnd) == previousFree else { return "sentinel damaged" }
        guard usedTotal == usedBytes else { return "usedBytes \(usedBytes) != used blocks \(usedTotal)" }

        // The free lists.
        var listed = 0
        let firstMap = arena.load64(L.firstLevelBitmap)
        for first in 0..<HeapClasses.firstLevelCount {
            let secondMap = arena.load64(L.secondLevelBitmaps + first * 8)
            if (firstMap >> UInt64(first)) & 1 != (secondMap == 0 ? 0 : 1) { return "first-level bit \(first) wrong" }
            for second in 0..<HeapClasses.secondLevelCount {
                var node = arena.loadOffset(L.freeHeads + (first * HeapClasses.secondLevelCount + second) * 8)
                if (secondMap >> UInt64(second)) & 1 != (node == 0 ? 0 : 1) { return "second-level bit \(first).\(second) wrong" }
                var before = 0
                while node != 0 {
                    guard freeBlocks.contains(node) else { return "free list \(first).\(second) holds non-free \(node)" }
                    guard HeapClasses.classOf(heap.size(node)) == (first, second) else { return "block \(node) in the wrong class" }
                    guard arena.loadOffset(node + B.prevFree) == before else { return "free list back link wrong at \(node)" }
                    listed += 1
                    guard listed <= freeBlocks.count else { return "free list cycle" }
                    before = node
                    node = arena.loadOffset(node + B.nextFree)
                }
            }
        }
        guard listed == freeBlocks.count else { return "\(freeBlocks.count) free blocks, \(listed) listed" }

        // The index.
        var indexed = Set<Int>()
        for bucket in 0..<layout.bucketCount {
            var before = 0
            var entry = arena.loadOffset(L.buckets + bucket * 8)
            while entry != 0 {
                guard usedBlocks[entry] == .live else { return "bucket \(bucket) holds \(entry), not a live entry" }
                guard layout.bucket(arena.load64(entry + F.hash)) == L.buckets + bucket * 8 else { return "entry \(entry) in the wrong bucket" }
                guard arena.loadOffset(entry + F.hashPrev) == before else { return "chain back link wrong at \(entry)" }
                guard indexed.insert(entry).inserted else { return "chain cycle at \(entry)" }
                let data = count(entry, F.keyCount) + count(entry, F.variantCount) + count(entry, F.headCount)
                    + Int(arena.load64(entry + F.bodyCount))
                guard F.data + data <= heap.size(entry) else { return "entry \(entry) overflows its block" }
                before = entry
                entry = arena.loadOffset(entry + F.hashNext)
            }
        }
        guard indexed.count == entryCount else { return "entryCount \(entryCount) != indexed \(indexed.count)" }
        guard usedBlocks.values.filter({ $0 == .live }).count == indexed.count else { return "a live block is not indexed" }

        // The LRU.
        var before = 0
        var entry = arena.loadOffset(L.lruHead)
        var inList = 0
        while entry != 0 {
            guard indexed.contains(entry) else { return "LRU holds unindexed \(entry)" }
            guard arena.loadOffset(entry + F.lruPrev) == before else { return "LRU back link wrong at \(entry)" }
            inList += 1
            guard inList <= indexed.count else { return "LRU cycle" }
            before = entry
            entry = arena.loadOffset(entry + F.lruNext)
        }
        guard arena.loadOffset(L.lruTail) == before else { return "LRU tail wrong" }
        guard inList == indexed.count else { return "LRU holds \(inList), index \(indexed.count)" }
        return nil
    }

    /// Every live entry, most recently used first (copies every entry's bytes under the lock:
    /// for tests and the `cache-operations` fuzz target).
    func snapshotByRecency() -> [CacheEntrySnapshot] {
        locked {
            var out: [CacheEntrySnapshot] = []
            var entry = arena.loadOffset(L.lruHead)
            while entry != 0 {
                let keyCount = count(entry, F.keyCount)
                let variantCount = count(entry, F.variantCount)
                let headCount = count(entry, F.headCount)
                let start = entry + F.data
                out.append(CacheEntrySnapshot(
                    key: arena.copyOut(start, count: keyCount),
                    variant: arena.copyOut(start + keyCount, count: variantCount),
                    head: arena.copyOut(start + keyCount + variantCount, count: headCount),
                    body: arena.copyOut(start + keyCount + variantCount + headCount, count: Int(arena.load64(entry + F.bodyCount))),
                    blockBytes: heap.size(entry),
                    pins: count(entry, F.pins)))
                entry = arena.loadOffset(entry + F.lruNext)
            }
            return out
        } ?? []
    }

    /// Test hook (robust lock test): takes the lock, sets the dirty word if asked, and
    /// returns without releasing it. Only for a child process that will die holding it.
    func testingTakeLockAndStay(dirty: Bool) {
        _ = arena.lockMutex(L.mutex)
        arena.store64(L.dirty, dirty ? 1 : 0)
    }

    /// Test hook: true if another thread or process holds the lock now.
    func testingLockHeldElsewhere() -> Bool {
        let rc = arena.tryLockMutex(L.mutex)
        if rc == EBUSY { return true }
        if acquire(rc) { arena.unlockMutex(L.mutex) }
        return false
    }
}

/// A view of one live entry, for tests and the `cache-operations` fuzz target.
public struct CacheEntrySnapshot: Equatable, Sendable {
    public var key: [UInt8]
    public var variant: [UInt8]
    public var head: [UInt8]
    public var body: [UInt8]
    public var blockBytes: Int
    public var pins: Int
}
