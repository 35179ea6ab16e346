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

    /// Kills a child that holds the lock (with the dirty word set or not) and returns after
    /// it is reaped.
    private func killLockHolder(_ store: CacheStore, dirty: Bool) throws {
        let child = try #require(ForkedChild.run {
            store.testingTakeLockAndStay(dirty: dirty)
            while true { ForkedChild.sleep(milliseconds: 10) }
        })
        var held = false
        for _ in 0..<500 where !held {
            held = store.testingLockHeldElsewhere()
            if !held { ForkedChild.sleep(milliseconds: 10) }
        }
        #expect(held, "the child took the lock")
        child.kill()
        #expect(child.wait() == .signaled(SIGKILL))
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
