import Testing
@testable import Proxy

/// The epoll loop's own pool of idle origin connections (`LoopUpstreamPool`) and the
/// process-wide caps its loops share (`UpstreamIdleBudget`), over socketpairs standing in for
/// origin connections. Table indices are plain numbers here; `freed` records the ones the
/// pool let go of, as the loop would forget them.
@Suite struct LoopUpstreamPoolTests {
    static let second: UInt64 = 1_000_000_000

    /// One loop's pool over `budget` with its own counters (one minute idle timeout).
    static func pool(_ budget: UpstreamIdleBudget, stats: ProxyStats = ProxyStats()) -> (LoopUpstreamPool, ProxyStats) {
        (LoopUpstreamPool(budget: budget, idleMs: 60_000, stats: stats), stats)
    }

    static func links(_ count: Int) throws -> [OriginLink] {
        try (0..<count).map { _ in try #require(OriginLink()) }
    }

    @Test func theBudgetRefusesForTheOriginBeforeTheTotalAndGivesPlacesBack() {
        let budget = UpstreamIdleBudget(perHost: 2, total: 3)
        #expect(budget.reserve("a:80") == .granted)
        #expect(budget.reserve("a:80") == .granted)
        #expect(budget.reserve("a:80") == .originFull)
        #expect(budget.reserve("b:80") == .granted)
        #expect(budget.reserve("c:80") == .totalFull)
        #expect(budget.heldCount == 3)
        budget.release("a:80")
        #expect(budget.reserve("c:80") == .granted, "a place given back is free for any origin")
        #expect(budget.reserve("a:80") == .totalFull)
        #expect(!UpstreamIdleBudget(perHost: 0, total: 8).isEnabled && !UpstreamIdleBudget(perHost: 8, total: 0).isEnabled)
    }

    @Test func aParkedConnectionIsTakenBackMostRecentFirstAndTheGaugeFollows() throws {
        let budget = UpstreamIdleBudget(perHost: 8, total: 8)
        var (pool, stats) = Self.pool(budget)
        let links = try Self.links(2)
        var freed: [Int] = []
        pool.park(index: 0, fd: links[0].proxySide, key: "a:80", now: Self.second) { freed.append($0) }
        pool.park(index: 1, fd: links[1].proxySide, key: "a:80", now: 2 * Self.second) { freed.append($0) }
        #expect(pool.idleCount == 2 && stats.upstreamIdle.load() == 2 && budget.heldCount == 2)
        let first = pool.take(key: "a:80", now: 3 * Self.second) { freed.append($0) }
        #expect(first?.index == 1 && first?.fd == links[1].proxySide)
        #expect(pool.take(key: "b:80", now: 3 * Self.second) { freed.append($0) } == nil)
        #expect(pool.idleCount == 1 && stats.upstreamIdle.load() == 1 && budget.heldCount == 1)
        #expect(freed.isEmpty && !links[0].proxyClosed && !links[1].proxyClosed)
        Sys.close(links[1].proxySide)
        pool.closeAllOnExit { freed.append($0) }
    }

    @Test func overTheOriginCapThisLoopsOldestConnectionToItGoes() throws {
        let budget = UpstreamIdleBudget(perHost: 2, total: 100)
        var (pool, stats) = Self.pool(budget)
        let links = try Self.links(3)
        var freed: [Int] = []
        for (i, link) in links.enumerated() {
            pool.park(index: i, fd: link.proxySide, key: "a:80", now: UInt64(i + 1) * Self.second) { freed.append($0) }
        }
        #expect(links[0].proxyClosed && !links[1].proxyClosed && !links[2].proxyClosed)
        #expect(freed == [0])
        #expect(stats.upstreamClosedPoolFull.load() == 1 && stats.upstreamIdle.load() == 2 && budget.heldCount == 2)
        #expect(pool.take(key: "a:80", now: 4 * Self.second) { freed.append($0) }?.index == 2)
        #expect(pool.take(key: "a:80", now: 4 * Self.second) { freed.append($0) }?.index == 1)
        #expect(pool.take(key: "a:80", now: 4 * Self.second) { freed.append($0) } == nil)
        Sys.close(links[1].proxySide)
        Sys.close(links[2].proxySide)
    }

    @Test func theCapsHoldOverTwoLoopsAndALoopWithoutTheOriginsConnectionsClosesItsOwn() throws {
        let budget = UpstreamIdleBudget(perHost: 1, total: 100)
        let stats = ProxyStats()
        var (first, _) = Self.pool(budget, stats: stats)
        var (second, _) = Self.pool(budget, stats: stats)
        let links = try Self.links(2)
        var freed: [Int] = []
        first.park(index: 0, fd: links[0].proxySide, key: "a:80", now: Self.second) { freed.append($0) }
        // The origin's one place is held by the first loop, which the second cannot touch.
        second.park(index: 0, fd: links[1].proxySide, key: "a:80", now: 2 * Self.second) { freed.append($0) }
        #expect(links[1].proxyClosed && !links[0].proxyClosed && freed == [0])
        #expect(first.idleCount == 1 && second.idleCount == 0)
        #expect(stats.upstreamIdle.load() == 1 && stats.upstreamClosedPoolFull.load() == 1)
        first.closeAllOnExit { freed.append($0) }
        #expect(budget.heldCount == 0)
    }

    @Test func atTheTotalCapTheReleasedConnectionIsClosedAndTheParkedOnesStay() throws {
        let budget = UpstreamIdleBudget(perHost: 8, total: 2)
        var (pool, stats) = Self.pool(budget)
        let links = try Self.links(3)
        var freed: [Int] = []
        pool.park(index: 0, fd: links[0].proxySide, key: "a:80", now: Self.second) { freed.append($0) }
        pool.park(index: 1, fd: links[1].proxySide, key: "b:80", now: Self.second) { freed.append($0) }
        pool.park(index: 2, fd: links[2].proxySide, key: "a:80", now: Self.second) { freed.append($0) }
        #expect(links[2].proxyClosed && !links[0].proxyClosed && !links[1].proxyClosed && freed == [2])
        #expect(stats.upstreamClosedPoolFull.load() == 1 && stats.upstreamIdle.load() == 2)
        pool.closeAllOnExit { freed.append($0) }
    }

    @Test func anOriginCloseReportedForAParkedConnectionClosesAndCountsIt() throws {
        let budget = UpstreamIdleBudget(perHost: 8, total: 8)
        var (pool, stats) = Self.pool(budget)
        let links = try Self.links(2)
        var freed: [Int] = []
        pool.park(index: 4, fd: links[0].proxySide, key: "a:80", now: Self.second) { freed.append($0) }
        pool.park(index: 7, fd: links[1].proxySide, key: "a:80", now: Self.second) { freed.append($0) }
        #expect(pool.originClosed(index: 4, key: "a:80") { freed.append($0) })
        #expect(links[0].proxyClosed && !links[1].proxyClosed && freed == [4])
        #expect(stats.upstreamClosedByOrigin.load() == 1 && stats.upstreamIdle.load() == 1 && budget.heldCount == 1)
        #expect(!pool.originClosed(index: 4, key: "a:80") { freed.append($0) }, "not parked any more")
        #expect(pool.take(key: "a:80", now: 2 * Self.second) { freed.append($0) }?.index == 7)
        Sys.close(links[1].proxySide)
    }

    @Test func expiredConnectionsAreClosedByTheSweepAndSkippedByTake() throws {
        let budget = UpstreamIdleBudget(perHost: 8, total: 8)
        var (pool, stats) = Self.pool(budget)
        let links = try Self.links(4)
        var freed: [Int] = []
        // Parked at 1 s: expired at 61 s (the timeout is 60 s); parked at 50 s: not yet.
        pool.park(index: 0, fd: links[0].proxySide, key: "a:80", now: Self.second) { freed.append($0) }
        pool.park(index: 1, fd: links[1].proxySide, key: "a:80", now: 50 * Self.second) { freed.append($0) }
        pool.park(index: 2, fd: links[2].proxySide, key: "b:80", now: Self.second) { freed.append($0) }
        pool.closeExpired(now: 61 * Self.second) { freed.append($0) }
        #expect(links[0].proxyClosed && links[2].proxyClosed && !links[1].proxyClosed)
        #expect(Set(freed) == [0, 2] && stats.upstreamClosedIdleTimeout.load() == 2)
        #expect(pool.idleCount == 1 && stats.upstreamIdle.load() == 1 && budget.heldCount == 1)
        // Take closes what expired since the sweep instead of handing it out.
        pool.park(index: 3, fd: links[3].proxySide, key: "c:80", now: 2 * Self.second) { freed.append($0) }
        #expect(pool.take(key: "c:80", now: 62 * Self.second) { freed.append($0) } == nil)
        #expect(links[3].proxyClosed && stats.upstreamClosedIdleTimeout.load() == 3)
        pool.closeAllOnExit { freed.append($0) }
        #expect(links[1].proxyClosed && stats.upstreamClosedOnExit.load() == 1)
        #expect(stats.upstreamIdle.load() == 0 && budget.heldCount == 0 && pool.idleCount == 0)
    }

    @Test func withThePoolOffAReleasedConnectionIsClosedUncounted() throws {
        var (pool, stats) = Self.pool(UpstreamIdleBudget(perHost: 0, total: 8))
        let link = try #require(OriginLink())
        var freed: [Int] = []
        pool.park(index: 0, fd: link.proxySide, key: "a:80", now: Self.second) { freed.append($0) }
        #expect(link.proxyClosed && freed == [0])
        #expect(stats.upstreamIdle.load() == 0 && stats.upstreamClosedPoolFull.load() == 0)
    }

    @Test func theSocketTableReusesAnIndexOnlyAfterItsSocketIsGone() {
        var table = UpstreamSocketTable()
        let a = table.add(fd: 10, serial: 1, owner: .connection(slot: 0))
        let b = table.add(fd: 11, serial: 2, owner: .parked(key: "a:80"))
        #expect(a != b && table.count == 2)
        table.setOwner(b, .connection(slot: 3))
        #expect(table[b]?.owner == .connection(slot: 3) && table[b]?.fd == 11)
        table.remove(a)
        #expect(table[a] == nil && table.count == 1)
        let c = table.add(fd: 12, serial: 3, owner: .connection(slot: 1))
        #expect(c == a && table[c]?.serial == 3, "the freed index comes back with the new serial")
        #expect(table[-1] == nil && table[99] == nil)
    }
}
