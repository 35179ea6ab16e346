/// Stampede protection: "fill in progress" markers, so that of many requests missing the
/// same key at once one fetches and stores it while the others wait or go to the origin
/// uncached. A fixed table in the arena (256 slots of 32 bytes: key hash, deadline in
/// monotonic nanoseconds, owner pid), searched in the group of 8 slots the hash picks.
extension CacheShard {
    /// The offsets of the 8 slots `hash` may use.
    private func slotGroup(_ hash: UInt64) -> StrideTo<Int> {
        let groups = UInt64(L.fillSlots / L.fillGroupSize)
        let first = L.fillTable + Int(truncatingIfNeeded: (hash >> 32) % groups) * L.fillGroupSize * L.fillSlotBytes
        return stride(from: first, to: first + L.fillGroupSize * L.fillSlotBytes, by: L.fillSlotBytes)
    }

    private func slotHash(_ slot: Int) -> UInt64 { arena.load64(slot) }
    private func slotDeadline(_ slot: Int) -> UInt64 { arena.load64(slot + 8) }
    private func slotOwner(_ slot: Int) -> Int32 { Int32(bitPattern: arena.load32(slot + 16)) }

    /// True while the claim in `slot` holds at `now`.
    private func slotHolds(_ slot: Int, now: UInt64) -> Bool {
        slotDeadline(slot) > now && Sys.processExists(slotOwner(slot))
    }

    /// True for exactly one caller per key until `finishFill(hash:)` or until `deadline`
    /// (monotonic ns) has passed `now`, or the claiming process has died. When the hash's
    /// group of 8 slots is full of live claims the answer is true (the fill goes ahead
    /// uncoordinated rather than making a request wait on nobody).
    func claimFill(hash: UInt64, now: UInt64, deadline: UInt64) -> Bool {
        let pid = Sys.processID()
        return locked {
            var vacant: Int?
            for slot in slotGroup(hash) {
                if slotHash(slot) == hash {
                    if slotHolds(slot, now: now) { return false }
                    vacant = slot
                    break
                }
                if vacant == nil && (slotHash(slot) == 0 || !slotHolds(slot, now: now)) { vacant = slot }
            }
            guard let vacant else { return true }
            arena.store64(vacant, hash)
            arena.store64(vacant + 8, deadline)
            arena.store32(vacant + 16, UInt32(bitPattern: pid))
            return true
        } ?? true
    }

    /// Ends the fill of `key` (stored or not), so the next `claimFill` succeeds.
    func finishFill(hash: UInt64) {
        locked {
            for slot in slotGroup(hash) where slotHash(slot) == hash {
                arena.zero(slot, count: L.fillSlotBytes)
            }
        }
    }

    /// True while a claim on `key` holds (not finished, deadline after `now`).
    func isFilling(hash: UInt64, now: UInt64) -> Bool {
        return locked {
            slotGroup(hash).contains { slotHash($0) == hash && slotHolds($0, now: now) }
        } ?? false
    }
}
