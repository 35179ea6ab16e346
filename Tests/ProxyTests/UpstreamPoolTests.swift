import Testing
@testable import Proxy

/// `UpstreamPool` over real sockets (socketpairs stand in for origin connections): its caps,
/// which connection goes when there is no room, the checks before reuse, and its counters.
@Suite struct UpstreamPoolTests {
    /// A pool with these caps and its own counters (one minute idle timeout).
    static func pool(perHost: Int, total: Int) -> (UpstreamPool, ProxyStats) {
        var config = ProxyConfiguration()
        config.upstreamIdlePerHost = perHost
        config.upstreamIdleTotal = total
        let stats = ProxyStats()
        return (UpstreamPool(config: config, stats: stats), stats)
    }

    static let second: UInt64 = 1_000_000_000

    static func links(_ count: Int) throws -> [OriginLink] {
        try (0..<count).map { _ in try #require(OriginLink()) }
    }

    @Test func overThePerHostCapTheLeastRecentlyParkedConnectionOfThatOriginIsClosed() throws {
        let (pool, stats) = Self.pool(perHost: 2, total: 100)
        let links = try Self.links(3)
        for (i, link) in links.enumerated() {
            pool.put(link.proxySide, key: "a:80", now: UInt64(i + 1) * Self.second)
        }
        #expect(links[0].proxyClosed, "the oldest was evicted")
        #expect(!links[1].proxyClosed && !links[2].proxyClosed)
        #expect(stats.upstreamClosedPoolFull.load() == 1)
        #expect(stats.upstreamIdle.load() == 2 && pool.idleCount == 2)
        // Most recently parked first, then the next; the evicted one never comes back.
        #expect(pool.take(key: "a:80", now: 4 * Self.second) == links[2].proxySide)
        #expect(pool.take(key: "a:80", now: 4 * Self.second) == links[1].proxySide)
        #expect(pool.take(key: "a:80", now: 4 * Self.second) == nil)
        #expect(stats.upstreamIdle.load() == 0)
        Sys.close(links[1].proxySide)
        Sys.close(links[2].proxySide)
    }

    @Test func thePerHostCapOfOneOriginLeavesOtherOriginsAlone() throws {
        let (pool, stats) = Self.pool(perHost: 1, total: 100)
        let links = try Self.links(3)
        pool.put(links[0].proxySide, key: "a:80", now: Self.second)
        pool.put(links[1].proxySide, key: "b:80", now: 2 * Self.second)
        pool.put(links[2].proxySide, key: "a:80", now: 3 * Self.second)
        #expect(links[0].proxyClosed && !links[1].proxyClosed && !links[2].proxyClosed)
        #expect(stats.upstreamClosedPoolFull.load() == 1 && stats.upstreamIdle.load() == 2)
        pool.closeAllOnExit()
    }

    @Test func atTheTotalCapAReleasedConnectionIsClosedAndTheParkedOnesStay() throws {
        let (pool, stats) = Self.pool(perHost: 8, total: 2)
        let links = try Self.links(3)
        pool.put(links[0].proxySide, key: "a:80", now: Self.second)
        pool.put(links[1].proxySide, key: "b:80", now: 2 * Self.second)
        pool.put(links[2].proxySide, key: "c:80", now: 3 * Self.second)
        #expect(links[2].proxyClosed, "no room: the released connection itself is closed")
        #expect(!links[0].proxyClosed && !links[1].proxyClosed)
        #expect(stats.upstreamClosedPoolFull.load() == 1)
        #expect(stats.upstreamIdle.load() == 2 && pool.idleCount == 2)
        #expect(pool.take(key: "c:80", now: 4 * Self.second) == nil)
        // Taking one makes room again.
        #expect(pool.take(key: "a:80", now: 4 * Self.second) == links[0].proxySide)
        let fresh = try #require(OriginLink())
        pool.put(fresh.proxySide, key: "c:80", now: 5 * Self.second)
        #expect(!fresh.proxyClosed && stats.upstreamClosedPoolFull.load() == 1 && stats.upstreamIdle.load() == 2)
        Sys.close(links[0].proxySide)
        pool.closeAllOnExit()
    }

    @Test func aConnectionTheOriginClosedWhileParkedIsClosedAndCountedInsteadOfReused() throws {
        let (pool, stats) = Self.pool(perHost: 8, total: 8)
        let links = try Self.links(2)
        pool.put(links[0].proxySide, key: "a:80", now: Self.second)
        pool.put(links[1].proxySide, key: "a:80", now: 2 * Self.second)
        links[1].closeOriginSide()
        // The newest is dead: it is closed on the way and the older live one is handed out.
        #expect(pool.take(key: "a:80", now: 3 * Self.second) == links[0].proxySide)
        #expect(stats.upstreamClosedByOrigin.load() == 1 && stats.upstreamIdle.load() == 0)
        Sys.close(links[0].proxySide)
    }

    @Test func aConnectionTheOriginWroteToWhileParkedIsNotReused() throws {
        let (pool, stats) = Self.pool(perHost: 8, total: 8)
        let link = try #require(OriginLink())
        pool.put(link.proxySide, key: "a:80", now: Self.second)
        link.originWrites("HTTP/1.1 408 Request Timeout\r\n\r\n")
        #expect(pool.take(key: "a:80", now: 2 * Self.second) == nil)
        #expect(link.proxyClosed)
        #expect(stats.upstreamClosedByOrigin.load() == 1 && stats.upstreamIdle.load() == 0)
    }

    @Test func theMaintenanceSweepClosesConnectionsTheOriginClosedAndThoseIdleTooLong() throws {
        let (pool, stats) = Self.pool(perHost: 8, total: 8)
        let links = try Self.links(3)
        pool.put(links[0].proxySide, key: "a:80", now: Self.second) // will be too old
        pool.put(links[1].proxySide, key: "a:80", now: 50 * Self.second) // origin closes it
        pool.put(links[2].proxySide, key: "b:80", now: 50 * Self.second) // stays
        links[1].closeOriginSide()
        pool.closeExpired(now: 61 * Self.second) // the default idle timeout is 60 s
        #expect(links[0].proxyClosed && !links[2].proxyClosed)
        #expect(stats.upstreamClosedIdleTimeout.load() == 1 && stats.upstreamClosedByOrigin.load() == 1)
        #expect(stats.upstreamIdle.load() == 1 && pool.idleCount == 1)
        pool.closeAllOnExit()
    }

    @Test func closingAllOnExitCountsEachConnectionAndGivesBackOnlyThisPoolsShareOfTheSharedGauge() throws {
        // Two pools over one set of counters, as two fork children share the parent's.
        let stats = ProxyStats()
        let first = UpstreamPool(config: ProxyConfiguration(), stats: stats)
        let second = UpstreamPool(config: ProxyConfiguration(), stats: stats)
        let links = try Self.links(3)
        first.put(links[0].proxySide, key: "a:80", now: Self.second)
        first.put(links[1].proxySide, key: "b:80", now: Self.second)
        second.put(links[2].proxySide, key: "a:80", now: Self.second)
        #expect(stats.upstreamIdle.load() == 3, "the gauge is the sum over the pools")
        first.closeAllOnExit()
        #expect(links[0].proxyClosed && links[1].proxyClosed && !links[2].proxyClosed)
        #expect(stats.upstreamClosedOnExit.load() == 2)
        #expect(stats.upstreamIdle.load() == 1, "the other pool's connection is still idle")
        second.closeAllOnExit()
        #expect(stats.upstreamIdle.load() == 0 && stats.upstreamClosedOnExit.load() == 3)
    }

    @Test func withAPerHostCapOfZeroNothingIsKept() throws {
        let (pool, stats) = Self.pool(perHost: 0, total: 8)
        let link = try #require(OriginLink())
        pool.put(link.proxySide, key: "a:80", now: Self.second)
        #expect(link.proxyClosed && stats.upstreamIdle.load() == 0)
        #expect(pool.take(key: "a:80", now: Self.second) == nil)
    }
}
