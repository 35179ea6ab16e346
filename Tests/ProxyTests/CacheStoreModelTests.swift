import Testing
@testable import Proxy

/// The cache store against a reference LRU model under seeded random sequences of stores
/// (announced, unannounced, abandoned midway), lookups that keep pins, pin releases and
/// removals. Which keys survive depends on fragmentation, so the model does not predict
/// evictions; it checks them: whatever vanished without being removed must be the least
/// recently used among unpinned entries, and after every operation the store's recency order
/// equals the model's restricted to present entries, every present entry has exactly the bytes
/// last committed, `usedBytes` is the sum of the entries' blocks, and `validate()` holds.
@Suite struct CacheStoreModelTests {
    /// One committed entry of the model; `serial` tells apart successive commits of one id.
    struct Entry {
        var id: String // key + "|" + variant
        var key: String
        var variant: String
        var body: [UInt8]
        var serial: Int
        var blockBytes: Int
    }

    struct HeldPin {
        var pin: CachePin
        var serial: Int
        var body: [UInt8]
    }

    /// One store (one exact LRU) and a store of 4 shards of the same size each (an LRU per
    /// shard: the model's order restricted to a shard's keys).
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64], [1, 4])
    func matchesAnLRUModel(seed: UInt64, shards: Int) throws {
        var rng = SplitMix(seed: seed)
        let store = try CacheStore(capacityBytes: shards * (96 << 10), maxObjectBytes: 24 << 10, shards: shards)
        #expect(store.maxObjectBytes == 24 << 10 && store.shardCount == shards)
        var shardOf: [String: Int] = [:]
        for key in 0..<40 {
            let name = "http://h.test/\(key)"
            shardOf[name] = store.shardIndex(forKey: Array(name.utf8))
        }
        #expect(Set(shardOf.values).count == shards, "the keys use every shard")
        var model: [Entry] = [] // most recently used first
        var pins: [HeldPin] = []
        var unlinkedPinnedBytes: [Int: Int] = [:] // serial -> block bytes, for pinned entries no longer live
        var serial = 0
        var evicted = 0

        func pinned(_ serial: Int) -> Bool { pins.contains { $0.serial == serial } }

        for step in 0..<3_000 {
            let key = "http://h.test/\(rng.next() % 40)"
            let variant = rng.next() % 4 == 0 ? "gzip" : ""
            let id = key + "|" + variant
            var committedSerial: Int?
            let before = model
            switch rng.next() % 10 {
            case 0, 1, 2, 3: // store
                let size = Int(rng.next() % 20_000)
                let body = pattern(size, seed: UInt8(truncatingIfNeeded: step))
                let announce = rng.next() % 2 == 0
                let abandonAt = rng.next() % 8 == 0 ? Int(rng.next() % UInt64(size + 1)) : nil
                guard let writer = store.beginStore(key: Array(key.utf8), variant: Array(variant.utf8),
                                                    head: Array("H\(step)".utf8), expectedBodyBytes: announce ? size : nil) else { break }
                var offset = 0
                var ok = true
                while ok && offset < (abandonAt ?? size) {
                    let end = min(abandonAt ?? size, offset + 1 + Int(rng.next() % 6_000))
                    ok = writer.append(Array(body[offset..<end]))
                    offset = end
                }
                if abandonAt != nil || !ok { writer.abandon(); break }
                let committed = writer.commit()
                #expect(committed)
                serial += 1
                committedSerial = serial
                model.removeAll { $0.id == id } // replaced (its pins, if any, keep the old bytes)
                model.insert(Entry(id: id, key: key, variant: variant, body: body, serial: serial, blockBytes: 0), at: 0)
            case 4, 5, 6: // lookup
                let wanted = Array(variant.utf8)
                let pin = store.lookup(key: Array(key.utf8)) { span in
                    span.count == wanted.count && (0..<span.count).allSatisfy { span[$0] == wanted[$0] }
                }
                guard let index = model.firstIndex(where: { $0.id == id }) else {
                    #expect(pin == nil, "found \(id), which the model does not have")
                    break
                }
                guard let pin else {
                    Issue.record("lost \(id) (step \(step))")
                    break
                }
                let entry = model.remove(at: index)
                model.insert(entry, at: 0)
                let same = pin.copyBody(0..<pin.bodyCount) == entry.body
                #expect(same, "step \(step): bytes of \(id) differ")
                if rng.next() % 3 == 0 && pins.count < 3 {
                    pins.append(HeldPin(pin: pin, serial: entry.serial, body: entry.body))
                }
            case 7: // release a held pin
                guard !pins.isEmpty else { break }
                let held = pins.remove(at: Int(rng.next() % UInt64(pins.count)))
                let same = held.pin.copyBody(0..<held.pin.bodyCount) == held.body
                #expect(same, "step \(step): pinned bytes changed")
                held.pin.release()
                if !pinned(held.serial) { unlinkedPinnedBytes[held.serial] = nil }
            default: // remove
                let removed = store.remove(key: Array(key.utf8))
                #expect(removed == model.filter { $0.key == key }.count)
                model.removeAll { $0.key == key }
            }

            // Whatever vanished was evicted: in each shard, its least recently used unpinned
            // entries.
            let present = Set(store.snapshotByRecency().map(Self.id))
            let goneSerials = Set(model.filter { !present.contains($0.id) && $0.serial != committedSerial }.map(\.serial))
            for shard in 0..<shards {
                let candidates = before.reversed().filter { old in
                    shardOf[old.key] == shard && !pinned(old.serial) && model.contains { $0.serial == old.serial }
                }
                let gone = model.filter { shardOf[$0.key] == shard && goneSerials.contains($0.serial) }
                evicted += gone.count
                let prefix = candidates.prefix(gone.count).map(\.serial)
                #expect(Set(prefix) == Set(gone.map(\.serial)),
                        "step \(step), shard \(shard): evicted \(gone.map(\.id)) but the LRU unpinned were \(candidates.prefix(gone.count).map(\.id))")
                #expect(gone.allSatisfy { !pinned($0.serial) }, "a pinned entry was evicted")
            }
            model.removeAll { goneSerials.contains($0.serial) }
            for shard in 0..<shards {
                let snapshot = store.snapshotByRecency(shard: shard)
                let expected = model.indices.filter { shardOf[model[$0].key] == shard }
                #expect(snapshot.map(Self.id) == expected.map { model[$0].id }, "step \(step), shard \(shard): recency order differs")
                for (live, index) in zip(snapshot, expected) {
                    let same = live.body == model[index].body
                    #expect(same, "step \(step): bytes of \(model[index].id) differ")
                    model[index].blockBytes = live.blockBytes
                    let least = CacheStore.blockBytes(forData: live.key.count + live.variant.count + live.head.count + live.body.count)
                    #expect(live.blockBytes >= least && live.blockBytes < least + ArenaBlock.minimumBytes)
                }
            }
            // Pinned entries that left the index still hold their blocks.
            for held in pins where !model.contains(where: { $0.serial == held.serial }) && unlinkedPinnedBytes[held.serial] == nil {
                unlinkedPinnedBytes[held.serial] = before.first { $0.serial == held.serial }?.blockBytes
            }
            let expectedUsed = model.reduce(0) { $0 + $1.blockBytes } + unlinkedPinnedBytes.values.reduce(0, +)
            #expect(store.usedBytes == expectedUsed, "step \(step): usedBytes \(store.usedBytes) != \(expectedUsed)")
            #expect(store.usedBytes <= store.heapBytes && store.heapBytes < store.capacityBytes)
            #expect(store.entryCount == model.count)
            if let problem = store.validationProblem() {
                Issue.record("step \(step): \(problem)")
                return
            }
        }
        #expect(evicted > 0, "the sequence exercised eviction")
        pins.removeAll()
        #expect(store.usedBytes == model.reduce(0) { $0 + $1.blockBytes })
        #expect(store.validate())
    }

    static func id(_ entry: CacheEntrySnapshot) -> String {
        String(decoding: entry.key, as: UTF8.self) + "|" + String(decoding: entry.variant, as: UTF8.self)
    }
}
