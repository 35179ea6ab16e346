/// Shared-memory response store: the storage half of the RFC 9111 shared cache.
///
/// One arena of `capacityBytes` (anonymous MAP_SHARED, so fork-model children made after it
/// share it), cut into `shardCount` equal, page-aligned shards. A key's hash picks its shard
/// (`shardIndex(forKey:)`), and every operation on that key runs in that shard alone: each
/// shard has its own process-shared robust lock, index, LRU list, allocator and fill markers
/// (`CacheShard`), so lookups and stores of keys in different shards never wait for each
/// other, and a process that dies holding one shard's lock costs at most that shard's entries.
///
/// What sharding changes, and what it keeps:
/// - LRU order and eviction are per shard: a store evicts the least recently used unpinned
///   entries of its own shard. With one shard (`shards: 1`) it is one exact LRU.
/// - An entry must fit one shard: `maxObjectBytes` is at most half a shard (see `init`).
/// - Accounting stays exact: `usedBytes` is the sum over the shards and never exceeds
///   `heapBytes`, which is less than `capacityBytes` (the headers, locks and indexes of every
///   shard are inside the arena too).
public final class CacheStore: @unchecked Sendable {
    /// Bytes of the whole arena (`-m`).
    public let capacityBytes: Int
    /// The largest entry accepted: key + variant + head + body bytes.
    public let maxObjectBytes: Int
    let shards: [CacheShard]
    /// The mapping every shard slices; kept for the store's life.
    private let arena: Arena

    /// Shards per store at most (`--cache-shards`).
    public static let maxShards = 64
    /// The smallest shard `automaticShardCount` makes.
    static let minimumAutomaticShardBytes = 1 << 20
    /// The most shards `automaticShardCount` makes: beyond this the locks are no longer what
    /// workers wait on, and LRU order gets coarser for nothing.
    static let automaticShardLimit = 16

    /// A store of `shards` shards. `maxObjectBytes` is lowered to half a shard if larger (read
    /// it back). Throws `.tooSmall` when a shard would have no usable heap or `shards` is out
    /// of 1...`maxShards`.
    public init(capacityBytes: Int, maxObjectBytes: Int, shards count: Int = 1) throws(CacheStoreError) {
        guard maxObjectBytes > 0, (1...Self.maxShards).contains(count), capacityBytes > 0 else { throw .tooSmall }
        let shardBytes = (capacityBytes / count) & ~4095
        guard shardBytes > 0 else { throw .tooSmall }
        let objectLimit = count == 1 ? maxObjectBytes : min(maxObjectBytes, shardBytes / 2)
        arena = try Arena(size: capacityBytes)
        var made: [CacheShard] = []
        for index in 0..<count {
            let slice = Arena(slicing: arena, offset: index * shardBytes, size: shardBytes)
            made.append(try CacheShard(arena: slice, maxObjectBytes: objectLimit))
        }
        self.capacityBytes = capacityBytes
        self.maxObjectBytes = objectLimit
        shards = made
    }

    /// The shard count the proxy uses unless `--cache-shards` says otherwise: the largest power
    /// of two up to 16 that leaves every shard at least 1 MiB and at least twice
    /// `maxObjectBytes`, so that sharding never lowers the largest object stored. 1 for small
    /// caches (the default `-m 10` with 2.5 MiB objects gets 2; `-m 100` with 4 MiB, 8).
    public static func automaticShardCount(capacityBytes: Int, maxObjectBytes: Int) -> Int {
        var count = 1
        while count * 2 <= automaticShardLimit {
            let shardBytes = (capacityBytes / (count * 2)) & ~4095
            guard shardBytes >= minimumAutomaticShardBytes, shardBytes / 2 >= maxObjectBytes else { break }
            count *= 2
        }
        return count
    }

    public var shardCount: Int { shards.count }

    /// The shard that holds `key`'s entries and fill marker.
    public func shardIndex(forKey key: [UInt8]) -> Int {
        shardIndex(hash: KeyHash.of(key))
    }

    /// Bits 40 and up pick the shard; a shard's index uses the low bits and its fill table
    /// bits 32 to 36, so keys of one shard still spread over its buckets and fill groups.
    private func shardIndex(hash: UInt64) -> Int {
        Int(truncatingIfNeeded: (hash >> 40) % UInt64(shards.count))
    }

    private func shard(_ hash: UInt64) -> CacheShard {
        shards[shardIndex(hash: hash)]
    }

    // MARK: counters (the sums over the shards, each read without a lock)

    /// Arena bytes held by entries, reservations and entries waiting for their last pin,
    /// allocator headers and rounding included (shard headers and indexes are not counted).
    public var usedBytes: Int { shards.reduce(0) { $0 + $1.usedBytes } }
    /// Bytes the shards' allocators manage: `capacityBytes` minus every shard's header, lock,
    /// fill table and index, and the rounding of shards to pages. `usedBytes` never exceeds it.
    public var heapBytes: Int { shards.reduce(0) { $0 + $1.heapBytes } }
    /// Entries in the index.
    public var entryCount: Int { shards.reduce(0) { $0 + $1.entryCount } }
    /// Entries evicted to make room, since the store was made (all processes).
    public var evictions: Int { shards.reduce(0) { $0 + $1.evictions } }
    /// Shard wipes after a process died holding a shard's lock mid-mutation.
    public var resets: Int { shards.reduce(0) { $0 + $1.resets } }

    // MARK: entries

    /// Finds the variant of `key` for which `matches(variantBytes)` is true (called under the
    /// shard's lock, once per stored variant with that exact key, newest first; it must not
    /// call the store), pins it and makes it the most recently used of its shard.
    public func lookup(key: [UInt8], matches: (Span<UInt8>) -> Bool) -> CachePin? {
        let hash = KeyHash.of(key)
        return shard(hash).lookup(key: key, hash: hash, matches: matches)
    }

    /// Removes every variant stored under `key`; pinned ones are freed when unpinned.
    /// Returns how many.
    @discardableResult
    public func remove(key: [UInt8]) -> Int {
        let hash = KeyHash.of(key)
        return shard(hash).remove(key: key, hash: hash)
    }

    /// Starts storing an entry; nothing is visible until `commit`. nil when it can never fit
    /// (more than `maxObjectBytes`) or no room can be made in its shard. `expectedBodyBytes`
    /// (the Content-Length) sizes the reservation; without it the reservation starts at 16 KiB
    /// of body and grows (moving inside the shard) up to `maxObjectBytes`.
    public func beginStore(key: [UInt8], variant: [UInt8], head: [UInt8], expectedBodyBytes: Int?) -> CacheWriter? {
        let hash = KeyHash.of(key)
        return shard(hash).beginStore(key: key, hash: hash, variant: variant, head: head, expectedBodyBytes: expectedBodyBytes)
    }

    // MARK: fill markers (stampede protection, in the key's shard)

    /// True for exactly one caller per key until `finishFill(key:)` or until `deadline`
    /// (monotonic ns) has passed `now`, or the claiming process has died. When the key's group
    /// of 8 marker slots is full of live claims the answer is true (the fill goes ahead
    /// uncoordinated rather than making a request wait on nobody).
    public func claimFill(key: [UInt8], now: UInt64, deadline: UInt64) -> Bool {
        let hash = KeyHash.of(key)
        return shard(hash).claimFill(hash: hash, now: now, deadline: deadline)
    }

    /// Ends the fill of `key` (stored or not), so the next `claimFill` succeeds.
    public func finishFill(key: [UInt8]) {
        let hash = KeyHash.of(key)
        shard(hash).finishFill(hash: hash)
    }

    /// True while a claim on `key` holds (not finished, deadline after `now`).
    public func isFilling(key: [UInt8], now: UInt64) -> Bool {
        let hash = KeyHash.of(key)
        return shard(hash).isFilling(hash: hash, now: now)
    }

    // MARK: maintenance and tests

    /// Frees the reservations of processes that no longer exist (a fork-model child killed
    /// while storing), shard by shard, each under its own lock: O(blocks), for the parent to
    /// call now and then, never per request. Returns how many were freed.
    @discardableResult
    public func reclaimDeadWriters() -> Int {
        shards.reduce(0) { $0 + $1.reclaimDeadWriters() }
    }

    /// True if every shard's invariants hold (see `validationProblem`).
    public func validate() -> Bool { validationProblem() == nil }

    /// nil if every shard's invariants hold (`CacheShard.validationProblem`), else the first
    /// broken one, with its shard's number. Also checks that each entry is in its key's shard.
    public func validationProblem() -> String? {
        for (index, shard) in shards.enumerated() {
            if let problem = shard.validationProblem() { return "shard \(index): \(problem)" }
            for entry in shard.snapshotByRecency() where shardIndex(forKey: entry.key) != index {
                return "shard \(index) holds a key of shard \(shardIndex(forKey: entry.key))"
            }
        }
        return nil
    }

    /// Every live entry, shard by shard, each shard's most recently used first (copies every
    /// entry's bytes: for tests and the `cache-operations` fuzz target).
    public func snapshotByRecency() -> [CacheEntrySnapshot] {
        shards.flatMap { $0.snapshotByRecency() }
    }

    /// The live entries of shard `index`, most recently used first.
    public func snapshotByRecency(shard index: Int) -> [CacheEntrySnapshot] {
        shards[index].snapshotByRecency()
    }

    /// The block size an entry of `dataBytes` (key + variant + head + body) takes at least;
    /// the allocator may leave up to 16 more (a remainder too small to split off). Public for
    /// tests and the `cache-operations` fuzz target.
    public static func blockBytes(forData dataBytes: Int) -> Int {
        ArenaHeap.blockSize(forPayload: EntryField.metadataBytes + dataBytes)
    }

    /// Test hook (robust lock tests): takes shard `index`'s lock, sets its dirty word if asked,
    /// and returns without releasing it. Only for a child process that will die holding it.
    func testingTakeLockAndStay(dirty: Bool, shard index: Int = 0) {
        shards[index].testingTakeLockAndStay(dirty: dirty)
    }

    /// Test hook: true if another thread or process holds shard `index`'s lock now.
    func testingLockHeldElsewhere(shard index: Int = 0) -> Bool {
        shards[index].testingLockHeldElsewhere()
    }
}
