/// The idle origin connections of one epoll event loop, per origin (`host:port`), for any
/// client connection of that loop to reuse (nginx keeps its upstream keepalive cache per
/// worker the same way). Confined to the loop's thread: no lock.
///
/// Unlike the shared `UpstreamPool`, a parked socket stays registered in its loop's epoll set
/// for readability under the same token, so parking and reusing it cost no system call: an
/// origin that closes a parked connection (or sends on it unasked) makes it readable, and the
/// loop then calls `originClosed`. Each socket is named by `index`, its place in the loop's
/// `UpstreamSocketTable`; whenever the pool lets go of one it closes the descriptor and calls
/// the `free` argument with its index, so the loop can forget it.
///
/// Caps: a connection is parked only with a place from the process-wide `UpstreamIdleBudget`
/// shared by the loops. Without one: if the origin is at its cap and this loop holds one of
/// its connections, the least recently parked of those goes (as the shared pool evicts); else
/// the released connection itself is closed. Either way `upstreamClosedPoolFull` counts it.
/// Entries idle `idleNanoseconds` or longer are closed by `take` and `closeExpired`.
///
/// The shared `upstreamIdle` gauge moves by deltas: +1 per place taken, −1 per connection
/// taken for reuse or closed. Invariant: `idleCount` = the places this pool holds in `budget`.
struct LoopUpstreamPool {
    private struct Parked {
        var index: Int
        var fd: Int32
        /// Monotonic nanoseconds.
        var parkedAt: UInt64
    }

    let budget: UpstreamIdleBudget
    private let stats: ProxyStats
    let idleNanoseconds: UInt64
    /// Per origin, oldest first; no empty lists.
    private var idle: [String: [Parked]] = [:]
    private(set) var idleCount = 0

    init(budget: UpstreamIdleBudget, idleMs: UInt64, stats: ProxyStats) {
        self.budget = budget
        self.stats = stats
        idleNanoseconds = idleMs &* 1_000_000
    }

    var isEnabled: Bool { budget.isEnabled }

    /// Parks the idle connection `fd` (table `index`) to `key`, or closes it (or this loop's
    /// oldest to `key`) when a cap is reached. The caller keeps it registered for readability.
    mutating func park(index: Int, fd: Int32, key: String, now: UInt64, free: (Int) -> Void) {
        guard isEnabled else {
            Self.close(fd, index: index, free: free)
            return
        }
        switch budget.reserve(key) {
        case .granted:
            idle[key, default: []].append(Parked(index: index, fd: fd, parkedAt: now))
            idleCount += 1
            stats.upstreamIdle.add(1, ordering: .relaxed)
        case .originFull where idle[key] != nil:
            // Take this loop's oldest to the origin's place: the place stays held.
            let oldest = idle[key]?.removeFirst()
            idle[key]?.append(Parked(index: index, fd: fd, parkedAt: now))
            if let oldest { Self.close(oldest.fd, index: oldest.index, free: free) }
            stats.upstreamClosedPoolFull.add(1, ordering: .relaxed)
        case .originFull, .totalFull:
            Self.close(fd, index: index, free: free)
            stats.upstreamClosedPoolFull.add(1, ordering: .relaxed)
        }
    }

    /// The most recently parked connection to `key` (its table index and descriptor), now the
    /// caller's, or nil. Expired ones are closed on the way.
    mutating func take(key: String, now: UInt64, free: (Int) -> Void) -> (index: Int, fd: Int32)? {
        while let entry = idle[key]?.popLast() {
            if idle[key]?.isEmpty == true { idle[key] = nil }
            leave(key)
            if now &- entry.parkedAt >= idleNanoseconds {
                Self.close(entry.fd, index: entry.index, free: free)
                stats.upstreamClosedIdleTimeout.add(1, ordering: .relaxed)
                continue
            }
            return (entry.index, entry.fd)
        }
        return nil
    }

    /// The parked connection `index` to `key` became readable: the origin closed it or sent
    /// something unasked, so it cannot carry another request. Closes and counts it
    /// (`upstreamClosedByOrigin`); false when it is not parked here.
    @discardableResult
    mutating func originClosed(index: Int, key: String, free: (Int) -> Void) -> Bool {
        guard let list = idle[key], let position = list.firstIndex(where: { $0.index == index }) else { return false }
        let entry = list[position]
        idle[key]?.remove(at: position)
        if idle[key]?.isEmpty == true { idle[key] = nil }
        leave(key)
        Self.close(entry.fd, index: entry.index, free: free)
        stats.upstreamClosedByOrigin.add(1, ordering: .relaxed)
        return true
    }

    /// Closes every connection idle `idleNanoseconds` or longer (the loop calls it about once a
    /// second), counted under `upstreamClosedIdleTimeout`.
    mutating func closeExpired(now: UInt64, free: (Int) -> Void) {
        guard idleCount > 0 else { return }
        for (key, list) in idle {
            // Oldest first: the expired ones are a prefix.
            let expired = list.prefix { now &- $0.parkedAt >= idleNanoseconds }
            guard !expired.isEmpty else { continue }
            idle[key] = expired.count == list.count ? nil : Array(list.dropFirst(expired.count))
            for entry in expired {
                leave(key)
                Self.close(entry.fd, index: entry.index, free: free)
            }
            stats.upstreamClosedIdleTimeout.add(expired.count, ordering: .relaxed)
        }
    }

    /// Closes every parked connection because the loop is ending; each is counted under
    /// `upstreamClosedOnExit` and its place and gauge share are given back.
    mutating func closeAllOnExit(free: (Int) -> Void) {
        for (key, list) in idle {
            for entry in list {
                leave(key)
                Self.close(entry.fd, index: entry.index, free: free)
            }
            stats.upstreamClosedOnExit.add(list.count, ordering: .relaxed)
        }
        idle = [:]
    }

    /// Lets go of a socket: closes the descriptor and hands its table index to `free`.
    private static func close(_ fd: Int32, index: Int, free: (Int) -> Void) {
        Sys.close(fd)
        free(index)
    }

    /// One parked connection to `key` left the pool: its place and gauge share go back.
    private mutating func leave(_ key: String) {
        idleCount -= 1
        budget.release(key)
        stats.upstreamIdle.subtract(1, ordering: .relaxed)
    }
}
