/// What a correct `CacheStore` holds after a sequence of `cache-operations`: the committed
/// entries in recency order (an LRU list, no allocator) and the fill markers (key → deadline).
///
/// Which entries survive depends on the allocator's fragmentation, so evictions are not
/// predicted: `evict(vanished:pinned:)` checks the ones the store made, which must be the least
/// recently used among unpinned entries (as in `CacheStoreModelTests`).
struct CacheReferenceModel {
    /// One committed entry; `serial` (the number of the store or writer that made it) tells
    /// apart successive commits of one key and variant.
    struct Entry: Equatable {
        var target: CacheTarget
        var serial: Int
        /// Commits before this one (set by `commit`): writers opened earlier may commit later.
        var commitOrder = 0
        var head: [UInt8]
        var body: [UInt8]
        /// The block size the store gave it, learnt from the store after the commit (0 until
        /// then); it never changes while the entry lives.
        var blockBytes: Int
    }

    /// Most recently used first.
    var entries: [Entry] = []
    /// Commits so far.
    var commits = 0
    /// Fill markers: key index → deadline (monotonic ns). A claim holds while its deadline is
    /// after `now`.
    var fills: [Int: UInt64] = [:]
    /// The monotonic clock (ns).
    var now: UInt64 = 1_000_000_000

    func index(of target: CacheTarget) -> Int? {
        entries.firstIndex { $0.target == target }
    }

    func contains(serial: Int) -> Bool {
        entries.contains { $0.serial == serial }
    }

    /// A commit: replaces the entry with the same key and variant, becomes the most recently used.
    mutating func commit(_ entry: Entry) {
        var entry = entry
        entry.commitOrder = commits
        commits += 1
        entries.removeAll { $0.target == entry.target }
        entries.insert(entry, at: 0)
    }

    /// The entries of `key` in the order a lookup offers them to its matcher: newest commit first.
    func variantsNewestFirst(key: Int) -> [Entry] {
        entries.filter { $0.target.key == key }.sorted { $0.commitOrder > $1.commitOrder }
    }

    /// What a lookup must find: the exact variant, or with `anyVariant` the newest of the key.
    func expectedLookup(_ target: CacheTarget, anyVariant: Bool) -> Entry? {
        anyVariant ? variantsNewestFirst(key: target.key).first : index(of: target).map { entries[$0] }
    }

    /// A hit makes the entry the most recently used.
    mutating func touch(serial: Int) {
        guard let i = entries.firstIndex(where: { $0.serial == serial }) else { return }
        entries.insert(entries.remove(at: i), at: 0)
    }

    /// Removes every variant of `key`; returns how many.
    mutating func remove(key: Int) -> Int {
        let before = entries.count
        entries.removeAll { $0.target.key == key }
        return before - entries.count
    }

    /// Entries the store may evict, in the order it must: least recently used first, pinned
    /// ones skipped.
    func evictionOrder(pinned: Set<Int>) -> [Entry] {
        entries.reversed().filter { !pinned.contains($0.serial) }
    }

    /// Takes out the entries the store no longer has (`vanished`, by serial) after a call that
    /// may evict; throws unless they are exactly the first ones of `evictionOrder`.
    mutating func evict(vanished: Set<Int>, pinned: Set<Int>) throws(InvariantViolation) {
        guard !vanished.isEmpty else { return }
        let order = evictionOrder(pinned: pinned)
        let due = Set(order.prefix(vanished.count).map(\.serial))
        try require(due == vanished,
                    "evicted \(describe(vanished)) but the least recently used unpinned were \(describe(due))")
        entries.removeAll { vanished.contains($0.serial) }
    }

    func describe(_ serials: Set<Int>) -> String {
        "[" + entries.filter { serials.contains($0.serial) }.map { "\($0.target) (serial \($0.serial))" }
            .joined(separator: ", ") + "]"
    }

    // MARK: fill markers

    /// True while a claim on `key` holds.
    func isFilling(key: Int) -> Bool {
        (fills[key] ?? 0) > now
    }

    /// A claim succeeds unless one holds; a successful claim records its deadline.
    mutating func claimFill(key: Int, deadline: UInt64) -> Bool {
        guard !isFilling(key: key) else { return false }
        fills[key] = deadline
        return true
    }

    mutating func finishFill(key: Int) {
        fills[key] = nil
    }
}
