#if canImport(Glibc)
import Glibc
#endif

/// One shard of the shared-memory response store (`CacheStore` routes each key to one shard
/// by its hash). A shard is a slice of the store's arena and holds everything for its keys:
/// its own lock, index, LRU list, allocator, fill markers and entries, all linked by offsets
/// relative to the slice. Each entry is one allocator block: 80 bytes of metadata, then key,
/// variant, head and body back to back, so a hit is written from one run of arena bytes.
///
/// Concurrency: a process-shared robust mutex in the shard guards all of its metadata;
/// critical sections are O(1) apart from an index chain walk and eviction. Bytes are copied
/// outside it: a writer fills a reservation nobody else can see, a reader reads a pinned
/// entry that nobody frees or changes until its pin is released. No lock is held across I/O
/// and no code path holds two shards' locks.
///
/// Failure of a lock holder: the mutex reports EOWNERDEAD to the next taker. A "dirty" word
/// is set during every critical section; if it is found set, the holder died mid-mutation and
/// the shard (only it) is wiped to empty (`resets` counts it) and a new generation starts, so
/// pins and writers from before are ignored when they come back. Residual risk: a reader
/// still holding a pin from before a wipe may read bytes that a new entry overwrites (it gets
/// garbage, never a fault: the arena stays mapped), and a writer of the old generation copying
/// outside the lock at that moment can overwrite the new generation's memory (each copy checks
/// the generation first, so the window is one copy). A process that dies holding a
/// reservation leaks it until `reclaimDeadWriters()`; one that dies holding pins leaks those
/// entries' blocks until the next wipe.
///
/// Pins and writers belong to the process that made them: a forked child must neither use nor
/// release (let go of) ones it inherited, or the entry is unpinned twice.
final class CacheShard: @unchecked Sendable {
    /// The largest entry accepted: key + variant + head + body bytes.
    let maxObjectBytes: Int
    /// Body bytes reserved at first when the length is unknown (grown by doubling).
    static let initialUnknownBodyBytes = 16 * 1024

    /// This shard's slice of the store's mapping; offsets below are relative to it.
    let arena: Arena
    let layout: ArenaLayout
    let heap: ArenaHeap
    typealias L = ArenaLayout
    typealias F = EntryField

    /// Formats `arena` (zeroed, not yet shared with another process) as an empty shard.
    init(arena: Arena, maxObjectBytes: Int) throws(CacheStoreError) {
        guard maxObjectBytes > 0, let layout = ArenaLayout(capacity: arena.size) else { throw .tooSmall }
        precondition(Arena.mutexSize <= L.mutexBytes, "pthread_mutex_t larger than its slot")
        self.maxObjectBytes = maxObjectBytes
        self.layout = layout
        self.arena = arena
        heap = ArenaHeap(arena: arena, layout: layout)
        let rc = arena.initMutex(L.mutex)
        guard rc == 0 else { throw .lockInitFailed(rc) }
        arena.store64(L.magic, L.magicValue)
        arena.atomicStore64(L.generation, 1)
        wipe()
    }

    // MARK: counters (readable without the lock)

    /// Arena bytes held by entries, reservations and entries waiting for their last pin,
    /// allocator headers and rounding included (the fixed header and index are not counted).
    var usedBytes: Int { Int(arena.atomicLoad64(L.usedBytes)) }
    /// Bytes the allocator manages: the slice minus the header, lock, fill table and index
    /// (all inside the slice too). `usedBytes` never exceeds it.
    var heapBytes: Int { layout.heapEnd - layout.heapStart }
    /// Entries in the index.
    var entryCount: Int { Int(arena.atomicLoad64(L.entryCount)) }
    /// Entries evicted to make room, since the store was made (all processes).
    var evictions: Int { Int(arena.atomicLoad64(L.evictions)) }
    /// Wipes after a process died holding the lock mid-mutation.
    var resets: Int { Int(arena.atomicLoad64(L.resets)) }

    func addCounter(_ offset: Int, _ delta: Int) {
        arena.atomicStore64(offset, UInt64(bitPattern: Int64(Int(arena.load64(offset)) + delta)))
    }

    /// The current generation (changes on every wipe). Lock held.
    var generation: UInt64 { arena.load64(L.generation) }

    /// True unless the store was wiped since `generation` (no lock: a writer checks it before
    /// each copy, which narrows the residual risk described above to a window of one copy).
    func isCurrent(_ generation: UInt64) -> Bool {
        arena.atomicLoad64(L.generation) == generation
    }

    // MARK: the lock

    /// Runs `body` holding the arena lock with the dirty word set; nil if the lock cannot be
    /// taken (ENOTRECOVERABLE: a previous recovery itself died, so the store stays unusable).
    func locked<R>(_ body: () -> R) -> R? {
        guard acquire(arena.lockMutex(L.mutex)) else { return nil }
        arena.store64(L.dirty, 1)
        let result = body()
        arena.store64(L.dirty, 0)
        arena.unlockMutex(L.mutex)
        return result
    }

    /// True if `rc` (from a lock or trylock) means the lock is now ours; recovers it first if
    /// its previous owner died.
    func acquire(_ rc: Int32) -> Bool {
        if rc == 0 { return true }
        guard rc == EOWNERDEAD else { return false }
        if arena.load64(L.dirty) != 0 {
            wipe()
            addCounter(L.resets, 1)
        }
        return arena.makeMutexConsistent(L.mutex) == 0
    }

    /// Back to empty: index, LRU, allocator and fill markers; a new generation. Counters
    /// `evictions` and `resets` are kept. Lock held (or not yet shared).
    func wipe() {
        arena.zero(L.fillTable, count: L.fillSlots * L.fillSlotBytes)
        arena.zero(L.buckets, count: layout.bucketCount * 8)
        arena.storeOffset(L.lruHead, 0)
        arena.storeOffset(L.lruTail, 0)
        arena.atomicStore64(L.usedBytes, 0)
        arena.atomicStore64(L.entryCount, 0)
        arena.atomicStore64(L.generation, arena.load64(L.generation) &+ 1)
        heap.format()
        arena.store64(L.dirty, 0)
    }

    // MARK: lookup and removal

    /// Finds the variant of `key` for which `matches(variantBytes)` is true (called under the
    /// lock, once per stored variant with that exact key, newest first; it must not call the
    /// store), pins it and makes it the most recently used.
    func lookup(key: [UInt8], hash: UInt64, matches: (Span<UInt8>) -> Bool) -> CachePin? {
        let found: (block: Int, generation: UInt64, counts: EntryCounts)? = locked {
            var entry = arena.loadOffset(layout.bucket(hash))
            while entry != 0 {
                if hasKey(entry, hash: hash, key: key) {
                    let variant = arena.withSpan(entry + F.data + key.count, count: count(entry, F.variantCount), matches)
                    if variant {
                        arena.store32(entry + F.pins, arena.load32(entry + F.pins) + 1)
                        lruMoveToFront(entry)
                        let counts = EntryCounts(key: key.count, variant: count(entry, F.variantCount),
                                                 head: count(entry, F.headCount),
                                                 body: Int(arena.load64(entry + F.bodyCount)))
                        return (entry, generation, counts)
                    }
                }
                entry = arena.loadOffset(entry + F.hashNext)
            }
            return nil
        } ?? nil
        guard let found else { return nil }
        return CachePin(store: self, block: found.block, generation: found.generation, counts: found.counts)
    }

    /// Removes every variant stored under `key`; pinned ones are freed when unpinned.
    /// Returns how many.
    @discardableResult
    func remove(key: [UInt8], hash: UInt64) -> Int {
        return locked {
            var removed = 0
            var entry = arena.loadOffset(layout.bucket(hash))
            while entry != 0 {
                let next = arena.loadOffset(entry + F.hashNext)
                if hasKey(entry, hash: hash, key: key) {
                    unlink(entry)
                    removed += 1
                }
                entry = next
            }
            return removed
        } ?? 0
    }

    /// Drops a pin taken in `generation`; frees the entry if it was unlinked and this was
    /// its last pin.
    func unpin(_ block: Int, generation pinned: UInt64) {
        locked {
            guard pinned == generation else { return }
            let pins = arena.load32(block + F.pins)
            precondition(pins > 0, "cache entry unpinned more often than pinned")
            arena.store32(block + F.pins, pins - 1)
            if pins == 1 && arena.load32(block + F.state) == EntryState.unlinked.rawValue {
                release(block)
            }
        }
    }

    // MARK: entry fields (lock held, or the entry pinned/reserved by the caller)

    func count(_ entry: Int, _ field: Int) -> Int { Int(arena.load32(entry + field)) }

    /// True if live `entry` is stored under `key` (whose hash is `hash`).
    func hasKey(_ entry: Int, hash: UInt64, key: [UInt8]) -> Bool {
        arena.load64(entry + F.hash) == hash && count(entry, F.keyCount) == key.count
            && arena.equals(entry + F.data, key)
    }

    /// Bytes of data (key, variant, head, body) an entry's block can hold. Lock held (a
    /// neighbour's change rewrites flag bits in the same header word).
    func dataCapacity(_ block: Int) -> Int {
        heap.size(block) - F.data
    }

    /// Frees an entry's block and takes it off `usedBytes`. Lock held.
    func release(_ block: Int) {
        precondition(!heap.isFree(block), "cache block freed twice")
        addCounter(L.usedBytes, -heap.size(block))
        heap.free(block)
    }
}
