import Testing
import Proxy
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Stampede protection under real threads: waiters poll the store while the fill they wait
/// for completes on another thread. A waiter's poll looks the key up and then tries to claim
/// the fill; when the fill's entry lands and its claim is given up between those two steps,
/// the waiter must still answer from the entry, never make a second origin request. (The
/// scripted tests in `CacheFlowTests` cannot interleave inside one poll; this one races it
/// many times over.)
@Suite struct CacheStampedeRaceTests {
    static let rounds = 150
    static let waiters = 3
    /// Polls per waiter per round: below the 5 s wait limit at 10 ms each, so a waiter never
    /// gives up and fetches for itself by design.
    static let pollsPerRound = Int(ConnectionMachine.cacheWaitLimitMs / ConnectionMachine.cacheWaitPollMs) - 20

    @Test func aFillEndingDuringAWaitersPollIsServedFromTheCacheNotFetchedTwice() {
        let engine = MachineHarness.cachedEngine()
        let outcomes = Locked<[String: Int]>([:])
        for round in 0..<Self.rounds {
            let request = CacheFlowTests.get("/race/\(round)")
            var leader = MachineHarness(engine: engine)
            leader.client(request)
            #expect(leader.connects.count == 1)
            let ready = Atomic<Int>(0)
            let finished = Atomic<Int>(0)
            for index in 0..<Self.waiters {
                let started = OSThread.spawn(name: "waiter-\(index)") {
                    var waiter = MachineHarness(engine: engine)
                    waiter.client(request)
                    let waited = waiter.connects.isEmpty && waiter.toClient.isEmpty
                    ready.add(1, ordering: .sequentiallyConsistent)
                    while ready.load(ordering: .sequentiallyConsistent) <= Self.waiters { sched_yield() } // the leader's go
                    var polls = 0
                    while waited && polls < Self.pollsPerRound && waiter.connects.isEmpty && waiter.toClient.isEmpty {
                        waiter.advance(ms: ConnectionMachine.cacheWaitPollMs)
                        polls += 1
                    }
                    let outcome = !waited ? "did not wait"
                        : !waiter.connects.isEmpty ? "went to the origin"
                        : waiter.toClient.contains("X-Proxy-Cache: HIT\r\n") ? "hit"
                        : waiter.toClient.isEmpty ? "still waiting" : "other answer"
                    outcomes.withLock { $0[outcome, default: 0] += 1 }
                    finished.add(1, ordering: .sequentiallyConsistent)
                }
                #expect(started)
            }
            while ready.load(ordering: .sequentiallyConsistent) < Self.waiters { sched_yield() }
            ready.add(1, ordering: .sequentiallyConsistent)
            leader.connected()
            leader.origin(CacheFlowTests.fresh)
            #expect(leader.toClient.contains("X-Proxy-Cache: MISS\r\n"))
            while finished.load(ordering: .sequentiallyConsistent) < Self.waiters { sched_yield() }
        }
        let seen = outcomes.withLock { $0 }
        // "still waiting" only when the leader's thread was held off the CPU for all of a
        // waiter's polls; every other waiter must have been answered from the fill.
        #expect(seen["went to the origin"] == nil && seen["did not wait"] == nil && seen["other answer"] == nil, "\(seen)")
        #expect((seen["hit"] ?? 0) > Self.rounds, "\(seen)")
    }
}
