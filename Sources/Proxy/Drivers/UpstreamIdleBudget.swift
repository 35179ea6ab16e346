/// The process-wide caps on idle origin connections (`--upstream-keepalive` per origin,
/// `--upstream-keepalive-total` in all) when the idle connections themselves are kept in
/// several places: the epoll driver's event loops each keep their own (`LoopUpstreamPool`),
/// and a connection is parked only after it got a place here. Thread-safe; one per epoll
/// driver, shared by its loops.
///
/// Invariants (under `lock`): `held[key]` ≤ `perHost` for every key, `count` ≤ `total`, and
/// `count` = the sum of `held` = the connections the loops hold parked.
final class UpstreamIdleBudget: @unchecked Sendable {
    /// What `reserve` answered.
    enum Grant: Equatable {
        /// A place was taken: park the connection.
        case granted
        /// The origin already has `perHost` idle connections.
        case originFull
        /// The process already holds `total` idle connections.
        case totalFull
    }

    let perHost: Int
    let total: Int
    private let lock = ConditionLock()
    /// Guarded by `lock`: idle connections held per origin (`host:port`); no zero entries.
    private var held: [String: Int] = [:]
    /// Guarded by `lock`.
    private var count = 0

    init(perHost: Int, total: Int) {
        self.perHost = perHost
        self.total = total
    }

    convenience init(config: ProxyConfiguration) {
        self.init(perHost: config.upstreamIdlePerHost, total: config.upstreamIdleTotal)
    }

    /// False when either cap is 0: nothing is ever parked.
    var isEnabled: Bool { perHost > 0 && total > 0 }

    /// Idle connections held now, over every loop.
    var heldCount: Int { lock.withLock { count } }

    /// Takes one place for an idle connection to `key`, or says which cap is reached (the
    /// origin's first, as the shared pool evicts for it before it refuses for the total).
    func reserve(_ key: String) -> Grant {
        lock.withLock {
            let mine = held[key] ?? 0
            if mine >= perHost { return .originFull }
            if count >= total { return .totalFull }
            held[key] = mine + 1
            count += 1
            return .granted
        }
    }

    /// Gives back `n` places of `key` (connections taken for reuse or closed).
    func release(_ key: String, _ n: Int = 1) {
        guard n > 0 else { return }
        lock.withLock {
            let left = (held[key] ?? 0) - n
            precondition(left >= 0, "released more places than reserved")
            held[key] = left == 0 ? nil : left
            count -= n
        }
    }
}
