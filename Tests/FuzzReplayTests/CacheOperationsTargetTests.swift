import Foundation
@testable import FuzzTargets
import Proxy
import Testing

/// The cache-operations harness itself: its seeds must really evict, pin, interleave writers and
/// expire fill markers, and each of its checks must be able to fail (a model that is wrong in
/// one way is caught), so a replay that passes means something.
@Suite struct CacheOperationsTargetTests {
    /// A driver on profile 0 (32 KiB, 4 KiB objects) that ran `operations`, each checked.
    static func driver(_ operations: [CacheOperation], profile: Int = 0) throws -> CacheOperationsDriver {
        let driver = try CacheOperationsDriver(profile: CacheProfile.all[profile])
        for operation in operations {
            try driver.run(operation)
            try driver.checkInvariants()
        }
        return driver
    }

    static func store(_ key: Int, _ bytes: Int, variant: Int = 0) -> CacheOperation {
        .store(CacheTarget(key: key, variant: variant), bodyBytes: bytes, announced: true, headBytes: 40, pieces: 3, abandonAfter: nil)
    }

    static func lookup(_ key: Int, variant: Int = 0, keep: Bool = false) -> CacheOperation {
        .lookup(CacheTarget(key: key, variant: variant), anyVariant: false, keepPin: keep)
    }

    /// Five 3000-byte entries nearly fill profile 0's heap (17.7 KB).
    static let fiveEntries = (0..<5).map { store($0, 3000) }

    /// Expects `body` to throw a violation whose message contains `fragment`.
    static func expectViolation(_ fragment: String, _ body: () throws(InvariantViolation) -> Void) {
        do throws(InvariantViolation) {
            try body()
            Issue.record("no violation (expected one about \(fragment))")
        } catch {
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test("The seed corpus evicts, keeps pins across replacement, interleaves writers and expires fill markers")
    func seedsExerciseEverything() throws {
        let folder = CorpusReplayTests.corpus.appendingPathComponent("cache-operations", isDirectory: true)
        let files = try #require(try CorpusReplayTests.inputs(in: folder))
        var total = CacheOperationsStats()
        for file in files {
            let result = CacheOperationsTarget.execute([UInt8](try Data(contentsOf: file)))
            #expect(result.violation == nil, "\(file.lastPathComponent): \(result.violation?.message ?? "")")
            let s = result.stats
            total.operations += s.operations
            total.evictions += s.evictions
            total.evictionsSkippingPins += s.evictionsSkippingPins
            total.pinsOutlivingEntry += s.pinsOutlivingEntry
            total.maxOpenWriters = max(total.maxOpenWriters, s.maxOpenWriters)
            total.interleavedCommits += s.interleavedCommits
            total.refusedStores += s.refusedStores
            total.failedAppends += s.failedAppends
            total.abandoned += s.abandoned
            total.hits += s.hits
            total.misses += s.misses
            total.fillRefusals += s.fillRefusals
            total.fillExpiries += s.fillExpiries
        }
        #expect(total.evictions > 0 && total.evictionsSkippingPins > 0)
        #expect(total.pinsOutlivingEntry > 0)
        #expect(total.maxOpenWriters == CacheOperationsDriver.writerSlots && total.interleavedCommits > 0)
        #expect(total.refusedStores > 0 && total.failedAppends > 0 && total.abandoned > 0)
        #expect(total.hits > 0 && total.misses > 0)
        #expect(total.fillRefusals > 0 && total.fillExpiries > 0)
    }

    @Test("Storing past the heap evicts the least recently used entry, not the one just looked up")
    func evictsLeastRecentlyUsed() throws {
        let driver = try Self.driver(Self.fiveEntries + [Self.lookup(0), Self.store(5, 3000)])
        #expect(driver.stats.evictions > 0)
        let keys = driver.model.entries.map(\.target.key)
        #expect(keys.contains(0) && !keys.contains(1), "\(keys)")
    }

    @Test("A pinned entry keeps its bytes through replacement, removal and eviction around it")
    func pinsOutliveTheirEntries() throws {
        let driver = try Self.driver([Self.store(0, 3000), Self.lookup(0, keep: true), Self.store(0, 3500),
                                      Self.store(1, 2000), Self.lookup(1, keep: true), .remove(key: 1)]
                                     + (2..<9).map { Self.store($0, 3000) } + [.release(0), .release(0)])
        #expect(driver.stats.pinsOutlivingEntry == 2 && driver.stats.evictions > 0)
        try driver.finish()
    }

    @Test("A writer opened first but committed last holds the newest variant")
    func newestIsLastCommitted() throws {
        let driver = try Self.driver([
            .begin(CacheTarget(key: 5, variant: 1), announcedBytes: nil, headBytes: 3),
            .begin(CacheTarget(key: 5, variant: 2), announcedBytes: nil, headBytes: 3),
            .append(slot: 0, bytes: 10), .append(slot: 1, bytes: 20), .commit(slot: 1), .commit(slot: 0),
            .lookup(CacheTarget(key: 5, variant: 0), anyVariant: true, keepPin: true),
        ])
        #expect(driver.pins.first?.entry.target == CacheTarget(key: 5, variant: 1))
    }

    @Test("Every key of the fixed set can hold a fill claim at once")
    func everyKeyClaims() throws {
        let driver = try Self.driver(CacheScript.keys.indices.map { .claimFill(key: $0, deadlineMs: 10) })
        #expect(CacheScript.keys.indices.allSatisfy { driver.model.isFilling(key: $0) })
        try driver.run(.advance(ms: 10))
        try driver.checkInvariants()
        #expect(CacheScript.keys.indices.allSatisfy { !driver.model.isFilling(key: $0) })
    }

    // MARK: each check can fail

    @Test("A model with another recency order is caught")
    func wrongRecency() throws {
        let driver = try Self.driver([Self.store(0, 100), Self.store(1, 100)])
        driver.model.entries.swapAt(0, 1)
        Self.expectViolation("recency order differs") { () throws(InvariantViolation) in try driver.checkInvariants() }
    }

    @Test("A model expecting other bytes is caught")
    func wrongBytes() throws {
        let driver = try Self.driver([Self.store(0, 100)])
        driver.model.entries[0].body[7] &+= 1
        Self.expectViolation("bytes of") { () throws(InvariantViolation) in try driver.checkInvariants() }
    }

    @Test("A model expecting another block size is caught (usedBytes and the block)")
    func wrongBlockBytes() throws {
        let driver = try Self.driver([Self.store(0, 100)])
        driver.model.entries[0].blockBytes += 16
        Self.expectViolation("block changed") { () throws(InvariantViolation) in try driver.checkInvariants() }
    }

    @Test("A model missing an entry is caught")
    func missingEntry() throws {
        let driver = try Self.driver([Self.store(0, 100), Self.store(1, 100)])
        driver.model.entries.removeLast()
        Self.expectViolation("entries") { () throws(InvariantViolation) in try driver.checkInvariants() }
    }

    @Test("A held pin expected to show other bytes is caught")
    func wrongPinnedBytes() throws {
        let driver = try Self.driver([Self.store(0, 100), Self.lookup(0, keep: true)])
        driver.pins[0].entry.head = [1, 2, 3]
        Self.expectViolation("held pin") { () throws(InvariantViolation) in try driver.checkInvariants() }
    }

    @Test("A pin the model does not know of is caught")
    func unknownPin() throws {
        let driver = try Self.driver([Self.store(0, 100), Self.lookup(0, keep: true)])
        let kept = driver.pins // still pinned, but no longer known to the model
        driver.pins.removeAll()
        withExtendedLifetime(kept) {
            Self.expectViolation("pins") { () throws(InvariantViolation) in try driver.checkInvariants() }
        }
    }

    @Test("A fill marker the model forgot is caught")
    func wrongFill() throws {
        let driver = try Self.driver([.claimFill(key: 3, deadlineMs: 50)])
        driver.model.fills[3] = nil
        Self.expectViolation("isFilling(key 3)") { () throws(InvariantViolation) in try driver.checkInvariants() }
    }

    @Test("An eviction out of the model's LRU order is caught")
    func wrongEvictionOrder() throws {
        let driver = try Self.driver(Self.fiveEntries)
        // The model now believes key 2 is the oldest; the store evicts key 0 (and maybe 1).
        let oldest = driver.model.entries.count - 1
        driver.model.entries.swapAt(oldest, oldest - 2)
        Self.expectViolation("evicted") { () throws(InvariantViolation) in try driver.run(Self.store(5, 3000)) }
    }

    @Test("A remove the model counts differently is caught")
    func wrongRemoveCount() throws {
        let driver = try Self.driver([Self.store(0, 100), Self.store(0, 100, variant: 1)])
        driver.model.entries.removeLast()
        Self.expectViolation("remove returned 2") { () throws(InvariantViolation) in try driver.run(.remove(key: 0)) }
    }

    // MARK: encoding and lifetime

    @Test("Decoding: reserved configuration bits skip the input, a truncated operation ends it, 256 operations at most")
    func decoding() throws {
        #expect(CacheScript.decode([]) == nil)
        #expect(CacheScript.decode([0x04, 0x05, 0x00]) == nil)
        // lookup, opcode 13 (nothing; high bits ignored), claimFill, reclaim, then a remove missing its argument.
        let (profile, operations) = try #require(CacheScript.decode([0x03, 0x05, 0x51, 0xFD, 0xF8, 0x12, 0x08, 0x0C, 0x07]))
        #expect(profile == CacheProfile.all[3])
        #expect(operations == [.lookup(CacheTarget(key: 1, variant: 1), anyVariant: true, keepPin: false), .nothing,
                               .claimFill(key: 2, deadlineMs: 8), .reclaim])
        let many = try #require(CacheScript.decode([0x00] + Array(repeating: 0x0B, count: 600)))
        #expect(many.1.count == 256 && many.1.allSatisfy { $0 == .advance(ms: 11) })
        let store = try #require(CacheScript.decode([0x00, 0x00, 0xC2, 0xFF, 0xFF, 10, 0, 255]))
        #expect(store.1 == [.store(CacheTarget(key: 2, variant: 0), bodyBytes: 0xFFFF % (4096 + 513), announced: true,
                                   headBytes: 10, pieces: 0, abandonAfter: 0xFFFF % (4096 + 513))])
        #expect(CacheOperationsTarget.trace([0x80]) == ["skipped: reserved configuration bit"])
        // The longest run of pattern bytes asked for: an append of up to maxObjectBytes + 512
        // after a body of maxObjectBytes, from the last start.
        let largest = try #require(CacheProfile.all.map(\.maxObjectBytes).max())
        #expect(CacheScript.patternTable.count >= 65_535 + 2 * largest + 512)
    }

    @Test("An input's store is released (unmapped) when the input ends, pins and writers included")
    func storeIsReleased() throws {
        weak var store: CacheStore?
        do {
            let driver = try Self.driver([Self.store(0, 100), Self.lookup(0, keep: true),
                                          .begin(CacheTarget(key: 1, variant: 2), announcedBytes: nil, headBytes: 5),
                                          .append(slot: 0, bytes: 100)])
            store = driver.store
            try driver.finish()
        }
        #expect(store == nil)
    }
}
