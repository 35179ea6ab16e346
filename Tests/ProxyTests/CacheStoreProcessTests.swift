import Testing
@testable import Proxy
#if canImport(Glibc)
import Glibc
#endif

/// The store across processes: a fork-model child shares the arena made before it, and a
/// process killed while holding the lock does not take the store down with it.
@Suite(.serialized, .disabled(if: ForkedChild.forkMayHang, "fork under TSan: run this suite alone"))
struct CacheStoreProcessTests {
    @Test func anEntryCommittedByAForkedChildIsFoundByTheParent() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 64 << 10)
        let body = pattern(20_000, seed: 3)
        #expect(put(store, "http://p.test/parent", body: pattern(100, seed: 1)))
        let child = try #require(ForkedChild.run {
            // The child sees what the parent stored, and stores for the parent.
            guard fetch(store, "http://p.test/parent") == pattern(100, seed: 1) else { return 2 }
            return put(store, "http://p.test/child", body: body, announce: false, pieces: 3000) ? 0 : 1
        })
        #expect(child.wait() == .exited(0))
        let found = fetch(store, "http://p.test/child") == body
        #expect(found)
        #expect(store.entryCount == 2)
        #expect(store.validate())
    }

    @Test func aChildsFillClaimHoldsForTheParentUntilTheChildIsGone() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 64 << 10)
        let key = Array("http://p.test/fill".utf8)
        let child = try #require(ForkedChild.run {
            guard store.claimFill(key: key, now: 0, deadline: .max) else { return 1 }
            while true { ForkedChild.sleep(milliseconds: 10) }
        })
        var claimedByChild = false
        for _ in 0..<500 where !claimedByChild {
            claimedByChild = store.isFilling(key: key, now: 1)
            if !claimedByChild { ForkedChild.sleep(milliseconds: 10) }
        }
        #expect(claimedByChild)
        let parentClaim = store.claimFill(key: key, now: 1, deadline: 10)
        #expect(!parentClaim)
        child.kill()
        #expect(child.wait() == .signaled(SIGKILL))
        let afterDeath = store.claimFill(key: key, now: 1, deadline: 10)
        #expect(afterDeath, "a dead owner's claim does not block")
    }

    /// Starts a child that takes shard `shard`'s lock (with the dirty word set or not) and
    /// keeps it until killed; returns once the lock is seen held.
    private func startLockHolder(_ store: CacheStore, dirty: Bool, shard: Int = 0) throws -> ForkedChild {
        let child = try #require(ForkedChild.run {
            store.testingTakeLockAndStay(dirty: dirty, shard: shard)
            while true { ForkedChild.sleep(milliseconds: 10) }
        })
        var held = false
        for _ in 0..<500 where !held {
            held = store.testingLockHeldElsewhere(shard: shard)
            if !held { ForkedChild.sleep(milliseconds: 10) }
        }
        #expect(held, "the child took the lock")
        return child
    }

    /// Kills a child that holds shard `shard`'s lock and returns after it is reaped.
    private func killLockHolder(_ store: CacheStore, dirty: Bool, shard: Int = 0) throws {
        let child = try startLockHolder(store, dirty: dirty, shard: shard)
        child.kill()
        #expect(child.wait() == .signaled(SIGKILL))
    }

    @Test func aLockHeldInOneShardLeavesTheOthersWorking() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 64 << 10, shards: 4)
        let others = (1..<4).map { CacheStoreShardTests.keys(in: $0, of: store, count: 1, host: "p.test")[0] }
        let child = try startLockHolder(store, dirty: false, shard: 0)
        // On another thread, so that waiting on a held lock shows as a timeout, not a hang.
        let done = ConditionLock()
        let finished = Locked(false)
        let correct = Locked(false)
        let spawned = OSThread.spawn(name: "other-shards") {
            var ok = true
            for (number, key) in others.enumerated() {
                ok = ok && put(store, key, body: pattern(2000, seed: UInt8(number)))
                    && fetch(store, key) == pattern(2000, seed: UInt8(number))
                    && store.claimFill(key: Array(key.utf8), now: 0, deadline: 10)
            }
            correct.withLock { $0 = ok }
            done.withLock {
                finished.withLock { $0 = true }
                done.signal()
            }
        }
        #expect(spawned)
        done.withLock {
            for _ in 0..<50 where !finished.withLock({ $0 }) { done.wait(milliseconds: 100) }
        }
        let inTime = finished.withLock { $0 }
        // Killing the holder frees shard 0's robust lock, so a thread stuck on it ends too.
        child.kill()
        #expect(child.wait() == .signaled(SIGKILL))
        #expect(inTime, "shards 1 to 3 answered within 5 s while shard 0's lock was held")
        done.withLock {
            while !finished.withLock({ $0 }) { done.wait(milliseconds: 100) }
        }
        #expect(correct.withLock { $0 })
        let first = CacheStoreShardTests.keys(in: 0, of: store, count: 1, host: "p.test")[0]
        #expect(put(store, first, body: pattern(100, seed: 1)), "shard 0 works again")
        #expect(store.resets == 0 && store.entryCount == 4)
        #expect(store.validate())
    }

    @Test func aProcessKilledMidMutationWipesOnlyItsShard() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 64 << 10, shards: 4)
        let keys = (0..<4).map { CacheStoreShardTests.keys(in: $0, of: store, count: 1, host: "p.test")[0] }
        for (number, key) in keys.enumerated() {
            #expect(put(store, key, body: pattern(1000, seed: UInt8(number))))
        }
        try killLockHolder(store, dirty: true, shard: 2)
        #expect(fetch(store, keys[2]) == nil, "shard 2 was wiped")
        #expect(store.resets == 1)
        for number in [0, 1, 3] {
            #expect(fetch(store, keys[number]) == pattern(1000, seed: UInt8(number)), "shard \(number) kept its entry")
        }
        #expect(store.entryCount == 3)
        #expect(store.validate())
    }

    @Test func aProcessKilledMidMutationLeavesAnEmptyWorkingStore() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 64 << 10)
        #expect(put(store, "http://p.test/a", body: pattern(1000, seed: 1)))
        let oldPin = try #require(store.lookup(key: Array("http://p.test/a".utf8)) { _ in true })
        let oldWriter = try #require(store.beginStore(key: [1], variant: [], head: [], expectedBodyBytes: 10))
        try killLockHolder(store, dirty: true)

        // The next lock taker finds the owner dead and the dirty word set: it wipes.
        #expect(fetch(store, "http://p.test/a") == nil)
        #expect(store.resets == 1)
        #expect(store.entryCount == 0 && store.usedBytes == 0)
        #expect(store.validate())
        // Pins and writers from before the wipe are ignored when they come back.
        oldPin.release()
        let staleCommit = oldWriter.commit()
        #expect(!staleCommit)
        #expect(store.usedBytes == 0)
        #expect(put(store, "http://p.test/b", body: pattern(2000, seed: 2)))
        #expect(fetch(store, "http://p.test/b") == pattern(2000, seed: 2))
        #expect(store.validate())
    }

    @Test func aProcessKilledHoldingACleanLockLosesNothing() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 64 << 10)
        #expect(put(store, "http://p.test/a", body: pattern(1000, seed: 1)))
        try killLockHolder(store, dirty: false)
        #expect(fetch(store, "http://p.test/a") == pattern(1000, seed: 1))
        #expect(store.resets == 0)
        #expect(put(store, "http://p.test/b", body: pattern(2000, seed: 2)))
        #expect(store.entryCount == 2)
        #expect(store.validate())
    }

    @Test func reservationsOfAKilledWriterAreReclaimed() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 64 << 10)
        #expect(put(store, "http://p.test/kept", body: pattern(3000, seed: 1)))
        let kept = store.usedBytes
        let ownWriter = try #require(store.beginStore(key: [7], variant: [], head: [], expectedBodyBytes: 100))
        let withOwn = store.usedBytes
        let child = try #require(ForkedChild.run {
            guard let writer = store.beginStore(key: [1], variant: [], head: [], expectedBodyBytes: nil),
                  writer.append(pattern(40_000, seed: 2)) else { return 1 }
            // The writer is used on every turn, so an optimized build cannot end its life (and
            // abandon the reservation) before the parent kills this process.
            while writer.bodyCount >= 0 { ForkedChild.sleep(milliseconds: 10) }
            return 3
        })
        var reserved = false
        for _ in 0..<500 where !reserved {
            reserved = store.usedBytes >= withOwn + 40_000
            if !reserved { ForkedChild.sleep(milliseconds: 10) }
        }
        #expect(reserved)
        let whileAlive = store.reclaimDeadWriters()
        #expect(whileAlive == 0, "a live writer keeps its reservation")
        child.kill()
        #expect(child.wait() == .signaled(SIGKILL))
        let reclaimed = store.reclaimDeadWriters()
        #expect(reclaimed == 1)
        #expect(store.usedBytes == withOwn)
        #expect(store.validate())
        ownWriter.abandon()
        #expect(store.usedBytes == kept)
        #expect(fetch(store, "http://p.test/kept") == pattern(3000, seed: 1))
    }
}
