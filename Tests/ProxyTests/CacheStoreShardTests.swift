import Testing
@testable import Proxy

/// The store cut into shards: how many, where keys go, and that a shard's eviction and size
/// limits stay inside it. (Locks of different shards not waiting for each other, and a dead
/// lock holder costing one shard only: `CacheStoreProcessTests`.)
@Suite struct CacheStoreShardTests {
    /// The first `count` keys "http://<host>/<n>" that land in `shard`.
    static func keys(in shard: Int, of store: CacheStore, count: Int, host: String = "k.test") -> [String] {
        var found: [String] = []
        var number = 0
        while found.count < count {
            let key = "http://\(host)/\(number)"
            if store.shardIndex(forKey: Array(key.utf8)) == shard { found.append(key) }
            number += 1
        }
        return found
    }

    @Test func automaticShardCountFollowsTheCacheAndObjectSizes() {
        let mib = 1 << 20
        // The default -m 10: objects of up to a quarter of it (2.5 MiB) fit half a 5 MiB shard.
        #expect(CacheStore.automaticShardCount(capacityBytes: 10 * mib, maxObjectBytes: 10 * mib / 4) == 2)
        #expect(CacheStore.automaticShardCount(capacityBytes: 100 * mib, maxObjectBytes: 4 * mib) == 8)
        #expect(CacheStore.automaticShardCount(capacityBytes: 1024 * mib, maxObjectBytes: 4 * mib) == 16, "at most 16")
        #expect(CacheStore.automaticShardCount(capacityBytes: 64 * mib, maxObjectBytes: 64 << 10) == 16)
        #expect(CacheStore.automaticShardCount(capacityBytes: 4 * mib, maxObjectBytes: mib) == 2)
        #expect(CacheStore.automaticShardCount(capacityBytes: mib, maxObjectBytes: 16 << 10) == 1, "shards of 1 MiB at least")
        for capacity in [1, 3, 10, 64, 333] {
            for object in [16 << 10, 1 << 20, 4 << 20] {
                let maxObject = min(object, capacity * mib / 4)
                let count = CacheStore.automaticShardCount(capacityBytes: capacity * mib, maxObjectBytes: maxObject)
                let store = try? CacheStore(capacityBytes: capacity * mib, maxObjectBytes: maxObject, shards: count)
                #expect(store?.maxObjectBytes == maxObject, "-m \(capacity): sharding never lowers the largest object")
            }
        }
    }

    @Test func everyEntryLivesInItsKeysShard() throws {
        let store = try CacheStore(capacityBytes: 4 << 20, maxObjectBytes: 64 << 10, shards: 4)
        #expect(store.shardCount == 4)
        let keys = (0..<256).map { "http://k.test/\($0)" }
        for (number, key) in keys.enumerated() {
            #expect(put(store, key, body: pattern(500 + number, seed: UInt8(number))))
        }
        for (number, key) in keys.enumerated() {
            #expect(fetch(store, key) == pattern(500 + number, seed: UInt8(number)))
        }
        let perShard = (0..<4).map { store.snapshotByRecency(shard: $0).count }
        #expect(perShard.reduce(0, +) == 256 && store.entryCount == 256)
        #expect(perShard.allSatisfy { $0 > 30 }, "keys spread over the shards: \(perShard)")
        #expect(store.validationProblem() == nil, "\(store.validationProblem() ?? "")")
        #expect(store.usedBytes <= store.heapBytes && store.heapBytes < store.capacityBytes)
    }

    /// Filling one shard evicts in that shard only; in one unsharded store of the same size the
    /// same fill evicts the bystander.
    @Test(arguments: [1, 4])
    func evictionStaysInTheKeysShard(shards: Int) throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 64 << 10, shards: shards)
        let bystander = Self.keys(in: shards - 1, of: store, count: 1, host: "bystander.test")[0]
        #expect(put(store, bystander, body: pattern(1000, seed: 9)))
        for key in Self.keys(in: 0, of: store, count: 80) {
            #expect(put(store, key, body: pattern(30_000, seed: 1)))
        }
        #expect(store.evictions > 0)
        let kept = fetch(store, bystander) == pattern(1000, seed: 9)
        #expect(kept == (shards > 1))
        #expect(store.validate())
    }

    @Test func anObjectFitsHalfAShard() throws {
        let store = try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 1 << 20, shards: 4)
        #expect(store.maxObjectBytes == 128 << 10)
        #expect(!put(store, "http://k.test/big", body: pattern(200_000, seed: 1)))
        #expect(put(store, "http://k.test/fits", body: pattern(100_000, seed: 1)))
        #expect(store.usedBytes == CacheStore.blockBytes(forData: 18 + 19 + 100_000))
    }

    @Test func shardCountsOutsideTheLimitsAreRefused() {
        #expect(throws: CacheStoreError.tooSmall) { try CacheStore(capacityBytes: 1 << 20, maxObjectBytes: 100, shards: 0) }
        #expect(throws: CacheStoreError.tooSmall) { try CacheStore(capacityBytes: 1 << 30, maxObjectBytes: 100, shards: 65) }
        #expect(throws: CacheStoreError.tooSmall) { try CacheStore(capacityBytes: 64 << 10, maxObjectBytes: 100, shards: 64) }
    }
}
