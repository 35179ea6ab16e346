/// Idle keep-alive connections to origins, kept per origin (`host:port`) for any client
/// connection of the process to reuse (nginx's upstream `keepalive`). Thread-safe; one per
/// `EngineContext`, so per process in the fork model.
///
/// Bounds: at most `perHost` idle connections per origin (the least recently used goes when a
/// newer one arrives) and `total` in all (beyond it a released connection is closed), each
/// kept at most `idleMs`. A pooled socket is not watched; before reuse, `take` checks that
/// the origin has not closed it or sent anything (`Sys.isQuietAndOpen`), and expired entries
/// are closed by `take` and by the drivers' periodic `closeExpired`.
///
/// The shared `upstreamIdle` gauge is only changed by deltas (+1 parked, −1 taken or closed),
/// under `lock`, never stored: with one pool per fork child it is the sum over the live
/// processes. A pool's process drains it with `closeAllOnExit` before it ends (a fork child
/// before `_exit`, the server at shutdown), which gives its share back and counts each
/// connection under `upstreamClosedOnExit`.
/// Invariant: `upstreamIdle` = the sum of `idleCount` over the live pools.
public final class UpstreamPool: @unchecked Sendable {
    private struct Entry {
        var fd: Int32
        var parkedAt: UInt64
    }

    private let lock = ConditionLock()
    /// Guarded by `lock`. Per origin, oldest first.
    private var idle: [String: [Entry]] = [:]
    /// Guarded by `lock`.
    private var count = 0
    let perHost: Int
    let total: Int
    let idleNanoseconds: UInt64
    private let stats: ProxyStats
    /// Guarded by `lock`: when `maintain` last swept.
    private var lastSweep: UInt64 = 0

    init(config: ProxyConfiguration, stats: ProxyStats) {
        perHost = config.upstreamIdlePerHost
        total = config.upstreamIdleTotal
        idleNanoseconds = config.timeouts.upstreamIdleMs &* 1_000_000
        self.stats = stats
    }

    var isEnabled: Bool { perHost > 0 && total > 0 }

    /// Idle connections now.
    var idleCount: Int { lock.withLock { count } }

    /// Takes ownership of an idle connection to `key`; closes it when there is no room.
    func put(_ fd: Int32, key: String, now: UInt64) {
        guard isEnabled else {
            Sys.close(fd)
            return
        }
        // The connection closed for lack of room: the origin's oldest when the origin is at
        // its cap, else `fd` itself when the pool is at its total.
        let closed: Int32? = lock.withLock {
            var list = idle[key] ?? []
            var evicted: Int32?
            if list.count >= perHost {
                evicted = list.removeFirst().fd
                count -= 1
            } else if count >= total {
                return fd
            }
            list.append(Entry(fd: fd, parkedAt: now))
            idle[key] = list
            count += 1
            if evicted == nil { stats.upstreamIdle.add(1, ordering: .relaxed) }
            return evicted
        }
        if let closed {
            Sys.close(closed)
            stats.upstreamClosedPoolFull.add(1, ordering: .relaxed)
        }
    }

    /// The most recently parked usable connection to `key`, or nil. Expired connections and
    /// ones the origin closed (or wrote to) meanwhile are closed on the way.
    func take(key: String, now: UInt64) -> Int32? {
        guard isEnabled else { return nil }
        while true {
            let entry: Entry? = lock.withLock {
                guard var list = idle[key], let last = list.popLast() else { return nil }
                idle[key] = list.isEmpty ? nil : list
                count -= 1
                stats.upstreamIdle.subtract(1, ordering: .relaxed)
                return last
            }
            guard let entry else { return nil }
            if now &- entry.parkedAt >= idleNanoseconds {
                Sys.close(entry.fd)
                stats.upstreamClosedIdleTimeout.add(1, ordering: .relaxed)
                continue
            }
            if !Sys.isQuietAndOpen(entry.fd) {
                Sys.close(entry.fd)
                stats.upstreamClosedByOrigin.add(1, ordering: .relaxed)
                continue
            }
            return entry.fd
        }
    }

    /// Closes every connection idle longer than the timeout (drivers call it about once a
    /// second), and those the origin closed meanwhile.
    func closeExpired(now: UInt64) {
        var expired: [Int32] = []
        var dead: [Int32] = []
        lock.withLock {
            for (key, list) in idle {
                var kept: [Entry] = []
                for entry in list {
                    if now &- entry.parkedAt >= idleNanoseconds {
                        expired.append(entry.fd)
                    } else if !Sys.isQuietAndOpen(entry.fd) {
                        dead.append(entry.fd)
                    } else {
                        kept.append(entry)
                    }
                }
                idle[key] = kept.isEmpty ? nil : kept
                count -= list.count - kept.count
            }
            let removed = expired.count + dead.count
            if removed > 0 { stats.upstreamIdle.subtract(removed, ordering: .relaxed) }
        }
        for fd in expired { Sys.close(fd) }
        for fd in dead { Sys.close(fd) }
        if !expired.isEmpty { stats.upstreamClosedIdleTimeout.add(expired.count, ordering: .relaxed) }
        if !dead.isEmpty { stats.upstreamClosedByOrigin.add(dead.count, ordering: .relaxed) }
    }

    /// `closeExpired`, at most once a second whoever calls (every driver's periodic tick).
    func maintain(now: UInt64) {
        let due: Bool = lock.withLock {
            guard count > 0, now &- lastSweep >= 1_000_000_000 else { return false }
            lastSweep = now
            return true
        }
        if due { closeExpired(now: now) }
    }

    /// Closes every idle connection because the pool's process is ending (a fork child after
    /// its connection, the server at shutdown): each is counted under `upstreamClosedOnExit`
    /// and its share of the shared idle gauge is given back.
    func closeAllOnExit() {
        let all: [Int32] = lock.withLock {
            let fds = idle.values.flatMap { $0.map(\.fd) }
            idle = [:]
            count = 0
            if !fds.isEmpty { stats.upstreamIdle.subtract(fds.count, ordering: .relaxed) }
            return fds
        }
        for fd in all { Sys.close(fd) }
        if !all.isEmpty { stats.upstreamClosedOnExit.add(all.count, ordering: .relaxed) }
    }
}
