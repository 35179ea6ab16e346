import Proxy

/// Runs `cache-operations` on one `CacheStore` beside a `CacheReferenceModel`, and checks the
/// store against it: after each call that may evict (beginStore, append) the entries that
/// vanished, and after every operation (`check(after:)`) everything, or after fill-marker and
/// clock operations the fill markers.
///
/// Liveness: a profile's heap holds at least 3.125 blocks of `maxObjectBytes` (checked at
/// start), so when no pin is held and no other writer is open, every block but the writer's
/// own is evictable, and a block of any size up to `maxObjectBytes` must then be found: a new
/// one on an empty heap (beginStore), or a larger one beside the writer's block (append; the
/// larger of the two free runs around it holds at least (heap - block) / 2, more than a block
/// rounded up to its size class). So beginStore and append within `maxObjectBytes` must succeed.
final class CacheOperationsDriver {
    /// A writer left open by `begin`.
    struct Writer {
        var writer: CacheWriter
        var target: CacheTarget
        var serial: Int
        var head: [UInt8]
        var body: [UInt8] = []
        var announced: Int?
        var prefix: Int { target.keyBytes.count + target.variantBytes.count + head.count }
    }

    /// A pin kept by `lookup`, with the entry it pinned as it was then.
    struct HeldPin {
        var pin: CachePin
        var entry: CacheReferenceModel.Entry
    }

    static let writerSlots = 3
    static let maxHeldPins = 4

    let profile: CacheProfile
    let store: CacheStore
    var model = CacheReferenceModel()
    var writers: [Writer?] = Array(repeating: nil, count: writerSlots)
    var pins: [HeldPin] = []
    /// Numbers stores and writers (their bytes are a pattern of it).
    var serial = 0
    /// `store.evictions` when last accounted for.
    var evictionsSeen = 0
    var stats = CacheOperationsStats()

    init(profile: CacheProfile) throws(InvariantViolation) {
        self.profile = profile
        do {
            store = try CacheStore(capacityBytes: profile.capacityBytes, maxObjectBytes: profile.maxObjectBytes)
        } catch {
            throw InvariantViolation("CacheStore(capacityBytes: \(profile.capacityBytes)) failed: \(error)")
        }
        let block = CacheStore.blockBytes(forData: profile.maxObjectBytes)
        try require(store.heapBytes >= block + 2 * (block + block / 16),
                    "profile \(profile): heap of \(store.heapBytes) bytes too small for the liveness checks")
    }

    var openWriters: Int { writers.count(where: { $0 != nil }) }

    var pinnedSerials: Set<Int> { Set(pins.map(\.entry.serial)) }

    /// True when nothing but evictable entries (and the writer being appended to) holds space.
    func nothingHeld(besidesWriters allowed: Int) -> Bool {
        pins.isEmpty && openWriters <= allowed
    }

    // MARK: operations

    func run(_ operation: CacheOperation) throws(InvariantViolation) {
        stats.operations += 1
        switch operation {
        case let .store(target, bodyBytes, announced, headBytes, pieces, abandonAfter):
            try storeInOneGo(target, bodyBytes: bodyBytes, announced: announced, headBytes: headBytes,
                             pieces: pieces, abandonAfter: abandonAfter)
        case let .begin(target, announced, headBytes):
            try begin(target, announced: announced, headBytes: headBytes)
        case let .append(slot, bytes):
            try append(slot: slot, bytes: bytes)
        case let .commit(slot):
            guard let open = writers[slot] else { return }
            writers[slot] = nil
            try require(open.writer.commit(), "commit of open writer \(slot) (\(open.target)) failed")
            if openWriters > 0 { stats.interleavedCommits += 1 }
            committed(open.target, serial: open.serial, head: open.head, body: open.body)
        case let .abandon(slot):
            guard let open = writers[slot] else { return }
            writers[slot] = nil
            open.writer.abandon()
            stats.abandoned += 1
        case let .lookup(target, anyVariant, keepPin):
            try lookup(target, anyVariant: anyVariant, keepPin: keepPin)
        case let .release(index):
            guard !pins.isEmpty else { return }
            let held = pins.remove(at: Int(index) % pins.count)
            try checkPinned(held.pin, held.entry, "held pin")
            if !model.contains(serial: held.entry.serial) { stats.pinsOutlivingEntry += 1 }
            held.pin.release()
        case let .remove(key):
            let removed = store.remove(key: CacheScript.keys[key])
            let expected = model.remove(key: key)
            try require(removed == expected, "remove returned \(removed), the model had \(expected) variants")
            stats.removals += removed
        case let .claimFill(key, deadlineMs):
            let deadline = model.now + deadlineMs * 1_000_000
            let expired = model.fills[key] != nil && !model.isFilling(key: key)
            let expected = model.claimFill(key: key, deadline: deadline)
            let claimed = store.claimFill(key: CacheScript.keys[key], now: model.now, deadline: deadline)
            try require(claimed == expected, "claimFill returned \(claimed), the model \(expected)")
            stats.fillClaims += 1
            if !claimed { stats.fillRefusals += 1 } else if expired { stats.fillExpiries += 1 }
        case let .finishFill(key):
            store.finishFill(key: CacheScript.keys[key])
            model.finishFill(key: key)
        case let .isFilling(key):
            try checkFilling(key)
        case let .advance(ms):
            model.now += ms * 1_000_000
        case .reclaim:
            let freed = store.reclaimDeadWriters()
            try require(freed == 0, "reclaimDeadWriters freed \(freed) reservations of this live process")
        case .nothing:
            break
        }
    }

    func storeInOneGo(_ target: CacheTarget, bodyBytes: Int, announced: Bool, headBytes: Int, pieces: UInt8,
                      abandonAfter: Int?) throws(InvariantViolation) {
        serial += 1
        let head = CacheScript.pattern(~serial, 0..<headBytes)
        let body = CacheScript.pattern(serial, 0..<bodyBytes)
        let prefix = target.keyBytes.count + target.variantBytes.count + headBytes
        let live = nothingHeld(besidesWriters: 0)
        let writer = store.beginStore(key: target.keyBytes, variant: target.variantBytes, head: head,
                                      expectedBodyBytes: announced ? bodyBytes : nil)
        try reconcileEvictions()
        try checkBegin(writer, data: announced ? prefix + bodyBytes : prefix, live: live)
        guard let writer else { return }
        let end = abandonAfter ?? bodyBytes
        var written = 0
        for length in CacheScript.pieces(total: bodyBytes, seed: pieces) where written < end {
            let piece = min(length, end - written)
            let appended = writer.append(Array(body[written..<(written + piece)]))
            try reconcileEvictions()
            try checkAppend(appended, writer, data: prefix + written + piece, live: live)
            guard appended else { return }
            written += piece
        }
        if abandonAfter != nil {
            writer.abandon()
            stats.abandoned += 1
            return
        }
        try require(writer.commit(), "commit of a complete writer failed")
        if openWriters > 0 { stats.interleavedCommits += 1 }
        committed(target, serial: serial, head: head, body: body)
    }

    func begin(_ target: CacheTarget, announced: Int?, headBytes: Int) throws(InvariantViolation) {
        guard let slot = writers.firstIndex(where: { $0 == nil }) else { return }
        serial += 1
        let head = CacheScript.pattern(~serial, 0..<headBytes)
        let prefix = target.keyBytes.count + target.variantBytes.count + headBytes
        let live = nothingHeld(besidesWriters: 0)
        let writer = store.beginStore(key: target.keyBytes, variant: target.variantBytes, head: head,
                                      expectedBodyBytes: announced)
        try reconcileEvictions()
        try checkBegin(writer, data: prefix + (announced ?? 0), live: live)
        guard let writer else { return }
        writers[slot] = Writer(writer: writer, target: target, serial: serial, head: head, announced: announced)
        stats.maxOpenWriters = max(stats.maxOpenWriters, openWriters)
    }

    func append(slot: Int, bytes: Int) throws(InvariantViolation) {
        guard let open = writers[slot] else { return }
        let live = nothingHeld(besidesWriters: 1)
        let start = open.body.count
        let piece = CacheScript.pattern(open.serial, start..<(start + bytes))
        let appended = open.writer.append(piece)
        try reconcileEvictions()
        try checkAppend(appended, open.writer, data: open.prefix + start + bytes, live: live)
        if appended {
            writers[slot]?.body += piece
        } else {
            writers[slot] = nil
        }
    }

    /// beginStore refuses `data` bytes (key, variant, head and announced body) over
    /// `maxObjectBytes`, and must succeed when `live`.
    func checkBegin(_ writer: CacheWriter?, data: Int, live: Bool) throws(InvariantViolation) {
        if data > profile.maxObjectBytes {
            try require(writer == nil, "beginStore accepted \(data) bytes, over maxObjectBytes \(profile.maxObjectBytes)")
        } else {
            try require(writer != nil || !live, "beginStore of \(data) bytes failed with no pin held and no writer open")
        }
        if writer == nil { stats.refusedStores += 1 }
    }

    /// An append that brings the data to `data` bytes fails past `maxObjectBytes` and must
    /// succeed when `live`; a writer that failed one is closed.
    func checkAppend(_ appended: Bool, _ writer: CacheWriter, data: Int, live: Bool) throws(InvariantViolation) {
        if data > profile.maxObjectBytes {
            try require(!appended, "append to \(data) bytes accepted, over maxObjectBytes \(profile.maxObjectBytes)")
        } else {
            try require(appended || !live, "append to \(data) bytes failed with no pin held and no other writer open")
        }
        if !appended {
            stats.failedAppends += 1
            try require(!writer.append([]) && !writer.commit(), "a writer whose append failed still accepts")
        }
    }

    func committed(_ target: CacheTarget, serial: Int, head: [UInt8], body: [UInt8]) {
        model.commit(CacheReferenceModel.Entry(target: target, serial: serial, head: head, body: body, blockBytes: 0))
        stats.commits += 1
    }

    func lookup(_ target: CacheTarget, anyVariant: Bool, keepPin: Bool) throws(InvariantViolation) {
        let wanted = target.variantBytes
        var offered: [[UInt8]] = []
        let pin = store.lookup(key: target.keyBytes) { span in
            var variant: [UInt8] = []
            variant.reserveCapacity(span.count)
            for i in 0..<span.count { variant.append(span[i]) }
            offered.append(variant)
            return anyVariant || variant == wanted
        }
        let expected = model.expectedLookup(target, anyVariant: anyVariant)
        var candidates = model.variantsNewestFirst(key: target.key)
        if let expected, let at = candidates.firstIndex(where: { $0.serial == expected.serial }) {
            candidates = Array(candidates[...at])
        }
        try require(offered == candidates.map(\.target.variantBytes),
                    "the matcher was offered \(names(offered)), newest first; the model has \(names(candidates.map(\.target.variantBytes)))")
        guard let expected else {
            try require(pin == nil, "found \(target), which the model does not have")
            stats.misses += 1
            return
        }
        guard let pin else { throw InvariantViolation("lost \(expected.target) (serial \(expected.serial))") }
        try checkPinned(pin, expected, "found")
        model.touch(serial: expected.serial)
        stats.hits += 1
        if keepPin && pins.count < Self.maxHeldPins {
            pins.append(HeldPin(pin: pin, entry: expected))
            stats.pinsKept += 1
        } else {
            pin.release()
        }
    }

    func names(_ variants: [[UInt8]]) -> String {
        "[" + variants.map { "\"" + String(decoding: $0, as: UTF8.self) + "\"" }.joined(separator: ", ") + "]"
    }

    // MARK: checks

    /// A pin shows exactly `entry`'s bytes.
    func checkPinned(_ pin: CachePin, _ entry: CacheReferenceModel.Entry, _ what: String) throws(InvariantViolation) {
        let target = entry.target
        try require(pin.keyCount == target.keyBytes.count && pin.variantCount == target.variantBytes.count
                        && pin.headCount == entry.head.count && pin.bodyCount == entry.body.count,
                    "\(what) \(target) (serial \(entry.serial)): counts \(pin.keyCount)/\(pin.variantCount)/\(pin.headCount)/\(pin.bodyCount), expected \(target.keyBytes.count)/\(target.variantBytes.count)/\(entry.head.count)/\(entry.body.count)")
        let body = bodyInPlace(pin) // as a hit is sent
        try require(sameBytes(pin.copyVariant(), target.variantBytes) && sameBytes(pin.copyHead(), entry.head)
                        && sameBytes(body, entry.body) && sameBytes(pin.copyBody(0..<pin.bodyCount), entry.body),
                    "\(what) \(target) (serial \(entry.serial)): bytes differ from those committed")
    }

    func checkFilling(_ key: Int) throws(InvariantViolation) {
        let filling = store.isFilling(key: CacheScript.keys[key], now: model.now)
        try require(filling == model.isFilling(key: key),
                    "isFilling(key \(key)) is \(filling), the model's deadline \(model.fills[key].map { String($0) } ?? "none") at \(model.now)")
    }

    /// After a call that may evict: whatever entries vanished were evicted, the least recently
    /// used unpinned ones, and `evictions` grew by their number.
    func reconcileEvictions() throws(InvariantViolation) {
        let evictions = store.evictions
        let grown = evictions - evictionsSeen
        evictionsSeen = evictions
        guard grown != 0 || store.entryCount != model.entries.count else { return }
        var present = Set<Int>()
        for live in store.snapshotByRecency() {
            if let entry = model.entries.first(where: { sameBytes($0.target.keyBytes, live.key) && sameBytes($0.target.variantBytes, live.variant) }) {
                present.insert(entry.serial)
            }
        }
        let vanished = Set(model.entries.map(\.serial)).subtracting(present)
        try require(grown == vanished.count, "evictions grew by \(grown), \(vanished.count) entries vanished")
        let oldest = Set(model.entries.suffix(vanished.count).map(\.serial))
        try model.evict(vanished: vanished, pinned: pinnedSerials)
        stats.evictions += grown
        if oldest != vanished { stats.evictionsSkippingPins += 1 }
    }

    /// The checks after `operation`. Fill markers and the clock touch no entry, so after those
    /// only the eviction count and the fill markers of the key operated on and of every key the
    /// model has claimed (only a claim of a key writes its hash); a heap they damaged would still
    /// be caught by the next full check, at the latest at the end. Everything after the others.
    func check(after operation: CacheOperation) throws(InvariantViolation) {
        let key: Int?
        switch operation {
        case let .claimFill(k, _), let .finishFill(k), let .isFilling(k): key = k
        case .advance, .nothing: key = nil
        default:
            try checkInvariants(allFills: false)
            return
        }
        try require(store.evictions == evictionsSeen, "evictions grew by \(store.evictions - evictionsSeen) outside beginStore and append")
        for k in CacheScript.keys.indices where k == key || model.fills[k] != nil { try checkFilling(k) }
    }

    /// Everything: the entries (recency order, bytes, block sizes, pin counts), the counters,
    /// `usedBytes` (exact when no writer is open, bounded otherwise), the store's own
    /// validation, the bytes of held pins, and the fill markers: every key's, or with
    /// `allFills` false those of the keys the model holds a claim on (a fill marker changes
    /// only in fill operations, after which `check(after:)` checks the key operated on).
    func checkInvariants(allFills: Bool = true) throws(InvariantViolation) {
        try require(store.evictions == evictionsSeen, "evictions grew by \(store.evictions - evictionsSeen) outside beginStore and append")
        let snapshot = store.snapshotByRecency()
        try require(store.entryCount == model.entries.count && snapshot.count == model.entries.count,
                    "the store has \(store.entryCount) entries (\(snapshot.count) in its LRU), the model \(model.entries.count)")
        var pinCounts: [Int: Int] = [:]
        for held in pins { pinCounts[held.entry.serial, default: 0] += 1 }
        for (i, live) in snapshot.enumerated() {
            let expected = model.entries[i]
            let target = expected.target
            try require(sameBytes(live.key, target.keyBytes) && sameBytes(live.variant, target.variantBytes),
                        "recency order differs at \(i): the store has \(String(decoding: live.key, as: UTF8.self)) \(names([live.variant])), the model \(target)")
            try require(sameBytes(live.head, expected.head) && sameBytes(live.body, expected.body),
                        "bytes of \(target) (serial \(expected.serial)) differ from those committed")
            let least = CacheStore.blockBytes(forData: live.key.count + live.variant.count + live.head.count + live.body.count)
            try require(live.blockBytes >= least && live.blockBytes < least + ArenaBlock.minimumBytes,
                        "\(target): block of \(live.blockBytes) bytes for \(least)")
            if expected.blockBytes == 0 {
                model.entries[i].blockBytes = live.blockBytes
            } else {
                try require(live.blockBytes == expected.blockBytes, "\(target): block changed from \(expected.blockBytes) to \(live.blockBytes) bytes")
            }
            try require(live.pins == pinCounts[expected.serial, default: 0],
                        "\(target): \(live.pins) pins, \(pinCounts[expected.serial, default: 0]) held")
        }

        // Entries' blocks, plus the blocks of pinned entries no longer in the index.
        var known = model.entries.reduce(0) { $0 + $1.blockBytes }
        var unlinked = Set<Int>()
        for held in pins where !model.contains(serial: held.entry.serial) && unlinked.insert(held.entry.serial).inserted {
            known += held.entry.blockBytes
        }
        let used = store.usedBytes
        let open = writers.compactMap { $0 }
        if open.isEmpty {
            try require(used == known, "usedBytes \(used) != \(known) (entries and pinned unlinked entries)")
        } else {
            // A reservation holds at least its data so far (or its announced length), at most
            // a block of maxObjectBytes.
            let least = open.reduce(0) { $0 + CacheStore.blockBytes(forData: $1.prefix + max($1.body.count, $1.announced ?? 0)) }
            let most = open.count * (CacheStore.blockBytes(forData: profile.maxObjectBytes) + ArenaBlock.minimumBytes)
            try require(used >= known + least && used < known + most,
                        "usedBytes \(used) outside [\(known + least), \(known + most)) with \(open.count) writers open")
        }
        try require(used <= store.heapBytes, "usedBytes \(used) > heapBytes \(store.heapBytes)")
        if let problem = store.validationProblem() { throw InvariantViolation("validation: \(problem)") }
        for held in pins { try checkPinned(held.pin, held.entry, "held pin") }
        for key in CacheScript.keys.indices where allFills || model.fills[key] != nil { try checkFilling(key) }
    }

    /// At the end of the input: pins released (bytes intact), writers abandoned, the exact
    /// accounting checked; then every key removed, after which nothing may remain allocated and
    /// the largest object must fit.
    func finish() throws(InvariantViolation) {
        for held in pins {
            try checkPinned(held.pin, held.entry, "held pin")
            if !model.contains(serial: held.entry.serial) { stats.pinsOutlivingEntry += 1 }
            held.pin.release()
        }
        pins.removeAll()
        for open in writers.compactMap({ $0 }) { open.writer.abandon() }
        writers = Array(repeating: nil, count: Self.writerSlots)
        try checkInvariants()
        for key in CacheScript.keys.indices {
            let removed = store.remove(key: CacheScript.keys[key])
            let expected = model.remove(key: key)
            try require(removed == expected, "remove(key \(key)) returned \(removed), the model had \(expected) variants")
        }
        try checkInvariants()
        try require(store.usedBytes == 0 && store.entryCount == 0,
                    "empty store: usedBytes \(store.usedBytes), entryCount \(store.entryCount)")
        let key = CacheScript.keys[0]
        let writer = store.beginStore(key: key, variant: [], head: [], expectedBodyBytes: profile.maxObjectBytes - key.count)
        try require(writer != nil, "beginStore of maxObjectBytes failed on the empty store")
        writer?.abandon()
        try require(store.usedBytes == 0, "usedBytes \(store.usedBytes) after abandoning the only writer")
    }
}
