/// Stampede protection: "fill in progress" markers, so that of many requests missing the
/// same key at once one fetches and stores it while the others wait or go to the origin
/// uncached. A fixed table in the arena (256 slots of 32 bytes: key hash, deadline in
/// monotonic nanoseconds, owner pid), searched in the group of 8 slots the hash picks.
extension CacheStore {
    private typealias Slot = (offset: Int, hash: UInt64, deadline: UInt64, owner: Int32)

    private func slots(for hash: UInt64) -> [Slot] {
        let groups = L.fillSlots / L.fillGroupSize
        let group = Int(truncatingIfNeeded: (hash >> 32) % UInt64(groups))
        return (0..<L.fillGroupSize).map { index in
            let offset = L.fillTable + (group * L.fillGroupSize + index) * L.fillSlotBytes
            return (offset, arena.load64(offset), arena.load64(offset + 8), Int32(bitPattern: arena.load32(offset + 16)))
        }
    }

    /// True for exactly one caller per key until `finishFill(key:)` or until `deadline`
    /// (monotonic ns) has passed `now`, or the claiming process has died. When the hash's
    /// group of 8 slots is full of live claims the answer is true (the fill goes ahead
    /// uncoordinated rather than making a request wait on nobody).
    public func claimFill(key: [UInt8], now: UInt64, deadline: UInt64) -> Bool {
        let hash = KeyHash.of(key)
        let pid = Sys.processID()
        return locked {
            let group = slots(for: hash)
            var vacant: Int?
            for slot in group {
                if slot.hash == hash {
                    if slot.deadline > now && Sys.processExists(slot.owner) { return false }
                    vacant = slot.offset
                    break
                }
                if vacant == nil && (slot.hash == 0 || slot.deadline <= now) { vacant = slot.offset }
            }
            guard let vacant else { return true }
            arena.store64(vacant, hash)
            arena.store64(vacant + 8, deadline)
            arena.store32(vacant + 16, UInt32(bitPattern: pid))
            return true
        } ?? true
    }

    /// Ends the fill of `key` (stored or not), so the next `claimFill` succeeds.
    public func finishFill(key: [UInt8]) {
        let hash = KeyHash.of(key)
        locked {
            for slot in slots(for: hash) where slot.hash == hash {
                arena.zero(slot.offset, count: L.fillSlotBytes)
            }
        }
    }

    /// True while a claim on `key` holds (not finished, deadline after `now`).
    public func isFilling(key: [UInt8], now: UInt64) -> Bool {
        let hash = KeyHash.of(key)
        return locked {
            slots(for: hash).contains { $0.hash == hash && $0.deadline > now && Sys.processExists($0.owner) }
        } ?? false
    }
}
