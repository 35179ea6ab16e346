import Testing
@testable import Proxy

/// Eight threads run seeded random stores, lookups (with pins held across other threads'
/// work), removals and fill claims on one small store (one shard, or four), so eviction, replacement and growth
/// race with readers. Every body read must match the head it was stored with; at the end the
/// invariants hold and every block is accounted for. Meant for the TSan run as well.
@Suite struct CacheStoreStressTests {
    /// One lock for the whole store, and 4 shards (each its own lock) of the same total size.
    @Test(arguments: [1, 4])
    func eightThreadsKeepEveryEntryIntact(shards: Int) throws {
        let store = try CacheStore(capacityBytes: 512 << 10, maxObjectBytes: 64 << 10, shards: shards)
        #expect(store.maxObjectBytes == 64 << 10)
        let threads = 8
        let operations = 1_500
        let done = ConditionLock()
        let finished = Locked(0)
        let failures = Locked<[String]>([])
        let fillHolders = Locked<Set<Int>>([])

        for thread in 0..<threads {
            OSThread.spawn(name: "stress-\(thread)") {
                var rng = SplitMix(seed: UInt64(thread) &+ 100)
                var held: [CachePin] = []
                func fail(_ message: String) { failures.withLock { $0.append("thread \(thread): \(message)") } }
                for step in 0..<operations {
                    let keyNumber = Int(rng.next() % 48)
                    let key = Array("http://s.test/\(keyNumber)".utf8)
                    switch rng.next() % 10 {
                    case 0, 1, 2, 3:
                        let size = Int(rng.next() % 40_000)
                        let seed = UInt8(truncatingIfNeeded: rng.next())
                        let head = Array("seed=\(seed) size=\(size)".utf8)
                        let announce = rng.next() % 2 == 0
                        guard let writer = store.beginStore(key: key, variant: [], head: head,
                                                            expectedBodyBytes: announce ? size : nil) else { break }
                        let body = pattern(size, seed: seed)
                        var offset = 0
                        var ok = true
                        while ok && offset < size {
                            let end = min(size, offset + 4096)
                            ok = writer.append(Array(body[offset..<end]))
                            offset = end
                        }
                        if ok && rng.next() % 10 != 0 { _ = writer.commit() } else { writer.abandon() }
                    case 4, 5, 6:
                        guard let pin = store.lookup(key: key, matches: { _ in true }) else { break }
                        let head = String(decoding: pin.copyHead(), as: UTF8.self)
                        let parts = head.split(separator: " ").map { $0.split(separator: "=").last.map(String.init) ?? "" }
                        guard parts.count == 2, let seed = UInt8(parts[0]), let size = Int(parts[1]) else {
                            fail("bad head \(head)")
                            break
                        }
                        if pin.bodyCount != size || pin.copyBody(0..<size) != pattern(size, seed: seed) {
                            fail("body of \(keyNumber) does not match its head \(head)")
                        }
                        if rng.next() % 4 == 0 && held.count < 2 { held.append(pin) }
                    case 7:
                        if !held.isEmpty { held.removeFirst() }
                    case 8:
                        store.remove(key: key)
                    default:
                        if store.claimFill(key: key, now: 1, deadline: .max) {
                            let alone = fillHolders.withLock { $0.insert(keyNumber).inserted }
                            if !alone { fail("two fills of \(keyNumber) at once") }
                            fillHolders.withLock { _ = $0.remove(keyNumber) }
                            store.finishFill(key: key)
                        }
                    }
                    if step % 500 == 0 && store.usedBytes > store.heapBytes { fail("usedBytes over the heap") }
                }
                held.removeAll()
                finished.withLock { $0 += 1 }
                done.withLock { done.signal() }
            }
        }
        done.withLock {
            while finished.withLock({ $0 }) < threads { done.wait(milliseconds: 100) }
        }
        let problems = failures.withLock { $0 }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(store.validationProblem() == nil, "\(store.validationProblem() ?? "")")
        let live = store.snapshotByRecency()
        #expect(live.count == store.entryCount)
        #expect(store.usedBytes == live.reduce(0) { $0 + $1.blockBytes }, "every pin and reservation was given back")
        #expect(store.evictions > 0)
        #expect(store.resets == 0)
    }
}

/// A value behind the project's pthread mutex (Synchronization's `Mutex`, captured by the
/// threads' closures, trips TSan's Swift access checks).
final class Locked<Value>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.withLock { body(&value) }
    }
}
