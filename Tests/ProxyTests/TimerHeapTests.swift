import Testing
@testable import Proxy

/// The event loop's timer heap against a plain dictionary model, under seeded random
/// sequences of arm, re-arm, cancel and expiry.
@Suite struct TimerHeapTests {
    @Test(arguments: [1, 2, 3, 4, 5])
    func matchesADictionaryModel(seed: UInt64) {
        var rng = SplitMix(seed: seed)
        var heap = TimerHeap()
        var model: [Int: UInt64] = [:]
        var now: UInt64 = 1_000
        for _ in 0..<5_000 {
            let id = Int(rng.next() % 64)
            switch rng.next() % 4 {
            case 0, 1:
                let deadline = now + rng.next() % 1_000
                heap.arm(id, at: deadline)
                model[id] = deadline
            case 2:
                heap.cancel(id)
                model[id] = nil
            default:
                now += rng.next() % 300
                var fired: [Int] = []
                var lastDeadline: UInt64 = 0
                while let expired = heap.popExpired(now: now) {
                    let deadline = model[expired] ?? .max
                    #expect(deadline <= now, "fired early: \(expired)")
                    #expect(deadline >= lastDeadline, "fired out of order")
                    lastDeadline = deadline
                    fired.append(expired)
                    model[expired] = nil
                }
                #expect(model.values.allSatisfy { $0 > now }, "a due timer did not fire")
                #expect(Set(fired).count == fired.count)
            }
            #expect(heap.count == model.count)
            #expect(heap.earliest == model.values.min())
            #expect(heap.isArmed(id) == (model[id] != nil))
        }
    }
}

/// A small seeded generator, so failures reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
