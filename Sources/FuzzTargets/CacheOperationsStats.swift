/// What one `cache-operations` input exercised, so tests can show that an input (or the seed
/// corpus) really evicts, keeps pins across eviction and replacement, interleaves writers and
/// lets fill markers expire, rather than passing by doing nothing.
struct CacheOperationsStats: Sendable, Equatable {
    var operations = 0
    var commits = 0
    /// Entries evicted (each checked to be the least recently used unpinned one).
    var evictions = 0
    /// Evictions that had to pass over a pinned entry older than the victims.
    var evictionsSkippingPins = 0
    var hits = 0
    var misses = 0
    var pinsKept = 0
    /// Held pins released, bytes intact, after their entry was removed or replaced (a pinned
    /// entry is never evicted).
    var pinsOutlivingEntry = 0
    /// Most writers open at once.
    var maxOpenWriters = 0
    /// Commits made while another writer was open.
    var interleavedCommits = 0
    /// beginStore calls refused (too large, or no room while pins or writers hold space).
    var refusedStores = 0
    /// Appends that failed (too large, or no room).
    var failedAppends = 0
    var abandoned = 0
    /// Entries removed by `remove(key:)`.
    var removals = 0
    var fillClaims = 0
    var fillRefusals = 0
    /// Claims granted over an earlier claim of the same key whose deadline had passed.
    var fillExpiries = 0
}
