import Testing
@testable import Proxy

/// Stores one entry; returns whether it was committed.
@discardableResult
func put(_ store: CacheStore, _ key: String, variant: String = "", head: String = "HTTP/1.1 200 OK\r\n\r\n",
         body: [UInt8], announce: Bool = true, pieces: Int = 1000) -> Bool {
    guard let writer = store.beginStore(key: Array(key.utf8), variant: Array(variant.utf8), head: Array(head.utf8),
                                        expectedBodyBytes: announce ? body.count : nil) else { return false }
    var offset = 0
    while offset < body.count {
        let end = min(body.count, offset + pieces)
        guard writer.append(Array(body[offset..<end])) else { return false }
        offset = end
    }
    return writer.commit()
}

/// The body stored under `key` for `variant`, or nil.
func fetch(_ store: CacheStore, _ key: String, variant: String = "") -> [UInt8]? {
    let wanted = Array(variant.utf8)
    guard let pin = store.lookup(key: Array(key.utf8), matches: { span in
        span.count == wanted.count && (0..<span.count).allSatisfy { span[$0] == wanted[$0] }
    }) else { return nil }
    defer { pin.release() }
    return pin.copyBody(0..<pin.bodyCount)
}

/// `count` bytes that differ with `seed` (slices of one pseudo-random megabyte, made once).
func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
    precondition(count <= patternPool.count - 256)
    return Array(patternPool[Int(seed)..<Int(seed) + count])
}

let patternPool: [UInt8] = {
    var rng = SplitMix(seed: 0xCAC4E)
    var bytes: [UInt8] = []
    bytes.reserveCapacity((1 << 20) + 256)
    for _ in 0..<((1 << 20) + 256) / 8 {
        let word = rng.next()
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
    }
    return bytes
}()

@Suite struct CacheStoreTests {
    @Test func aStoredEntryIsFoundWithItsHeadVariantAndBody() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 64 << 10)
        let body = pattern(5000, seed: 1)
        #expect(put(store, "http://a.test/x", variant: "gzip", head: "HTTP/1.1 200 OK\r\nA: b\r\n\r\n", body: body))
        let pin = try #require(store.lookup(key: Array("http://a.test/x".utf8)) { $0.count == 4 })
        #expect(pin.copyHead() == Array("HTTP/1.1 200 OK\r\nA: b\r\n\r\n".utf8))
        #expect(pin.copyVariant() == Array("gzip".utf8))
        #expect(pin.copyBody(0..<pin.bodyCount) == body)
        #expect(pin.copyBody(4990..<9999) == Array(body[4990...]))
        let firstHeadByte = pin.withHead { $0[0] }
        #expect(firstHeadByte == UInt8(ascii: "H"))
        let sum = pin.withBody { raw in raw.reduce(0) { $0 &+ Int($1) } }
        #expect(sum == body.reduce(0) { $0 &+ Int($1) })
        pin.release()
        pin.release() // idempotent
        #expect(store.entryCount == 1)
        #expect(store.validate())
        let other = store.lookup(key: Array("http://a.test/y".utf8)) { _ in true }
        #expect(other == nil)
    }

    @Test func nothingIsVisibleBeforeCommitAndAbandonLeavesNothing() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 64 << 10)
        let key = Array("k".utf8)
        var writer = try #require(store.beginStore(key: key, variant: [], head: [1, 2], expectedBodyBytes: nil))
        let appended = writer.append([1, 2, 3])
        #expect(appended)
        #expect(store.lookup(key: key) { _ in true } == nil)
        #expect(store.usedBytes > 0)
        writer.abandon()
        #expect(store.usedBytes == 0)
        let afterAbandon = writer.append([4])
        #expect(!afterAbandon)
        let commitAfterAbandon = writer.commit()
        #expect(!commitAfterAbandon)
        // Dropping a writer abandons it too.
        writer = try #require(store.beginStore(key: key, variant: [], head: [1], expectedBodyBytes: 10))
        _ = writer.append([1, 2, 3])
        writer = try #require(store.beginStore(key: Array("other".utf8), variant: [], head: [], expectedBodyBytes: 0))
        writer.abandon()
        #expect(store.usedBytes == 0)
        #expect(store.entryCount == 0)
        #expect(store.validate())
    }

    @Test func aCommitReplacesTheSameKeyAndVariantOnly() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 64 << 10)
        #expect(put(store, "k", variant: "a", body: pattern(100, seed: 1)))
        #expect(put(store, "k", variant: "b", body: pattern(200, seed: 2)))
        #expect(store.entryCount == 2)
        #expect(put(store, "k", variant: "a", body: pattern(300, seed: 3)))
        #expect(store.entryCount == 2)
        #expect(fetch(store, "k", variant: "a") == pattern(300, seed: 3))
        #expect(fetch(store, "k", variant: "b") == pattern(200, seed: 2))
        #expect(fetch(store, "k", variant: "c") == nil)
        #expect(fetch(store, "kk", variant: "a") == nil)
        #expect(store.usedBytes == CacheStore.blockBytes(forData: 1 + 1 + 19 + 300) + CacheStore.blockBytes(forData: 1 + 1 + 19 + 200))
        #expect(store.validate())
        let removed = store.remove(key: Array("k".utf8))
        #expect(removed == 2)
        let removedAgain = store.remove(key: Array("k".utf8))
        #expect(removedAgain == 0)
        #expect(store.entryCount == 0 && store.usedBytes == 0)
        #expect(store.validate())
    }

    @Test func theMatcherSeesEveryVariantOfTheKeyNewestFirst() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 64 << 10)
        for variant in ["one", "two", "three"] { #expect(put(store, "k", variant: variant, body: [1])) }
        #expect(put(store, "other", variant: "zzz", body: [1]))
        var seen: [String] = []
        let pin = store.lookup(key: Array("k".utf8)) { span in
            seen.append(String(decoding: (0..<span.count).map { span[$0] }, as: UTF8.self))
            return false
        }
        #expect(pin == nil)
        #expect(seen == ["three", "two", "one"])
    }

    @Test func emptyKeysHeadsAndBodiesAreStored() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 64 << 10)
        let writer = try #require(store.beginStore(key: [], variant: [], head: [], expectedBodyBytes: 0))
        let committed = writer.commit()
        #expect(committed)
        let pin = try #require(store.lookup(key: []) { _ in true })
        #expect(pin.headCount == 0 && pin.bodyCount == 0 && pin.copyBody(0..<5) == [])
        #expect(store.validate())
    }

    @Test func objectsOverTheLimitAreRejected() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 10_000)
        #expect(store.beginStore(key: [1], variant: [], head: [], expectedBodyBytes: 10_000) == nil)
        #expect(store.beginStore(key: [], variant: [], head: [UInt8](repeating: 0, count: 10_001), expectedBodyBytes: nil) == nil)
        #expect(store.beginStore(key: [1], variant: [], head: [], expectedBodyBytes: -1) == nil)
        // Exactly the limit fits.
        #expect(put(store, "k", head: "", body: pattern(9_999, seed: 0)))
        // Growing past the limit abandons the writer.
        let writer = try #require(store.beginStore(key: [2], variant: [], head: [], expectedBodyBytes: nil))
        let first = writer.append(pattern(9_999, seed: 1))
        #expect(first)
        let over = writer.append([1])
        #expect(!over)
        let later = writer.append([])
        #expect(!later)
        let committed = writer.commit()
        #expect(!committed)
        #expect(store.entryCount == 1)
        #expect(store.usedBytes == CacheStore.blockBytes(forData: 10_000))
        // A Content-Length that lies low: the reservation grows past it, up to the limit.
        #expect(put(store, "k3", head: "", body: pattern(5_000, seed: 2), announce: false))
        let liar = try #require(store.beginStore(key: [4], variant: [], head: [], expectedBodyBytes: 10))
        let grown = liar.append(pattern(5_000, seed: 3))
        #expect(grown)
        let liarCommitted = liar.commit()
        #expect(liarCommitted)
        #expect(store.validate())
        // The capacity cannot hold the fixed structures.
        #expect(throws: CacheStoreError.tooSmall) { try CacheStore(capacityBytes: 4096, maxObjectBytes: 100) }
        #expect(throws: CacheStoreError.tooSmall) { try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 0) }
    }

    @Test func bodiesWithoutALengthGrowAndAreTrimmedAtCommit() throws {
        let store = try CacheStore(capacityBytes: 4 << 20, maxObjectBytes: 1 << 20)
        let body = pattern(300_000, seed: 7)
        #expect(put(store, "big", body: body, announce: false, pieces: 777))
        let same = fetch(store, "big") == body
        #expect(same)
        let exact = CacheStore.blockBytes(forData: 3 + 19 + 300_000)
        #expect(store.usedBytes >= exact && store.usedBytes < exact + ArenaBlock.minimumBytes)
        // A short body with an announced length larger than what came is trimmed too.
        let writer = try #require(store.beginStore(key: [9], variant: [], head: [], expectedBodyBytes: 100_000))
        _ = writer.append([1, 2, 3])
        let committed = writer.commit()
        #expect(committed)
        #expect(store.usedBytes < exact + CacheStore.blockBytes(forData: 4) + 2 * ArenaBlock.minimumBytes)
        #expect(store.validate())
    }

    @Test func aPinnedEntrySurvivesEvictionUntilReleasedThenItsMemoryIsReused() throws {
        let store = try CacheStore(capacityBytes: 128 << 10, maxObjectBytes: 16 << 10)
        let kept = pattern(8_000, seed: 42)
        #expect(put(store, "pinned", body: kept))
        let pin = try #require(store.lookup(key: Array("pinned".utf8)) { _ in true })
        for round in 0..<200 { #expect(put(store, "filler\(round)", body: pattern(4_000, seed: UInt8(round & 0xFF)))) }
        #expect(store.evictions > 0)
        #expect(store.usedBytes <= store.heapBytes && store.heapBytes < store.capacityBytes)
        #expect(fetch(store, "pinned") == kept, "never evicted while pinned")
        #expect(pin.copyBody(0..<pin.bodyCount) == kept)

        // Removed while pinned: gone from the index, bytes intact until the pin goes.
        let removed = store.remove(key: Array("pinned".utf8))
        #expect(removed == 1)
        #expect(fetch(store, "pinned") == nil)
        #expect(pin.copyBody(0..<pin.bodyCount) == kept)
        let before = store.usedBytes
        #expect(store.validate())
        pin.release()
        #expect(store.usedBytes == before - CacheStore.blockBytes(forData: 6 + 19 + 8_000))
        #expect(store.validate())
        // The freed block is reused: a somewhat smaller entry fits without evicting.
        let evictions = store.evictions
        #expect(put(store, "again", body: pattern(7_000, seed: 1)))
        #expect(store.evictions == evictions)
    }

    @Test func aReplacedPinnedEntryKeepsItsOldBytes() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 64 << 10)
        #expect(put(store, "k", body: pattern(1000, seed: 1)))
        let old = try #require(store.lookup(key: Array("k".utf8)) { _ in true })
        #expect(put(store, "k", body: pattern(2000, seed: 2)))
        #expect(old.copyBody(0..<old.bodyCount) == pattern(1000, seed: 1))
        #expect(fetch(store, "k") == pattern(2000, seed: 2))
        #expect(store.entryCount == 1)
        #expect(store.validate())
        old.release()
        #expect(store.usedBytes == CacheStore.blockBytes(forData: 1 + 19 + 2000))
    }

    @Test func whenEverythingIsPinnedAStoreFailsInsteadOfEvicting() throws {
        let store = try CacheStore(capacityBytes: 64 << 10, maxObjectBytes: 16 << 10)
        var pins: [CachePin] = []
        var index = 0
        while put(store, "k\(index)", body: pattern(10_000, seed: 0)) {
            pins.append(try #require(store.lookup(key: Array("k\(index)".utf8)) { _ in true }))
            index += 1
        }
        #expect(index >= 2)
        #expect(store.evictions == 0, "nothing pinned is evicted")
        #expect(store.usedBytes <= store.heapBytes && store.heapBytes < store.capacityBytes)
        #expect(store.validate())
        pins.removeAll()
        #expect(put(store, "more", body: pattern(10_000, seed: 0)))
        #expect(store.evictions > 0)
        #expect(store.validate())
    }

    @Test func accountingNeverExceedsTheCapacity() throws {
        let store = try CacheStore(capacityBytes: 256 << 10, maxObjectBytes: 32 << 10)
        var rng = SplitMix(seed: 9)
        for round in 0..<600 {
            let size = Int(rng.next() % 30_000)
            _ = put(store, "k\(rng.next() % 300)", body: pattern(size, seed: UInt8(round & 0xFF)), announce: rng.next() % 2 == 0)
            #expect(store.usedBytes <= store.heapBytes && store.heapBytes < store.capacityBytes)
        }
        #expect(store.evictions > 0)
        #expect(store.validate())
    }

    @Test func exactlyOneCallerClaimsAFillUntilItFinishesOrExpires() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 64 << 10)
        let key = Array("http://a.test/".utf8)
        let first = store.claimFill(key: key, now: 100, deadline: 1_000)
        let second = store.claimFill(key: key, now: 200, deadline: 1_000)
        #expect(first && !second)
        #expect(store.isFilling(key: key, now: 999))
        #expect(!store.isFilling(key: key, now: 1_000))
        #expect(!store.isFilling(key: Array("other".utf8), now: 100))
        store.finishFill(key: key)
        #expect(!store.isFilling(key: key, now: 300))
        let afterFinish = store.claimFill(key: key, now: 300, deadline: 2_000)
        #expect(afterFinish)
        let afterDeadline = store.claimFill(key: key, now: 2_000, deadline: 3_000)
        #expect(afterDeadline)
        let whileHeld = store.claimFill(key: key, now: 2_500, deadline: 9_000)
        #expect(!whileHeld)
        // Many keys at once: each is claimed once (a full slot group lets claims through).
        var claimed = 0
        for i in 0..<100 where store.claimFill(key: Array("k\(i)".utf8), now: 0, deadline: 10) { claimed += 1 }
        var again = 0
        for i in 0..<100 where store.claimFill(key: Array("k\(i)".utf8), now: 1, deadline: 10) { again += 1 }
        #expect(claimed == 100 && again == 0)
    }

    @Test func keyHashesSpreadAndAreNeverZero() {
        var buckets = Set<UInt64>()
        for i in 0..<10_000 {
            let hash = KeyHash.of(Array("http://a.test/\(i)".utf8))
            #expect(hash != 0)
            buckets.insert(hash & 1023)
        }
        #expect(buckets.count == 1024)
    }
}
