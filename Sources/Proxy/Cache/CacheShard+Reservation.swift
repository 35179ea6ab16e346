/// Storing: a writer reserves a block (under the lock), fills it outside the lock (nobody
/// else can reach it), and commits (under the lock) by linking it into the index and the LRU.
extension CacheShard {
    /// Starts storing an entry; nothing is visible until `commit`. nil when it can never fit
    /// (more than `maxObjectBytes`) or no room can be made. `expectedBodyBytes` (the
    /// Content-Length) sizes the reservation; without it the reservation starts at 16 KiB of
    /// body and grows (moving inside the arena) up to `maxObjectBytes`.
    func beginStore(key: [UInt8], hash: UInt64, variant: [UInt8], head: [UInt8], expectedBodyBytes: Int?) -> CacheWriter? {
        let prefix = key.count + variant.count + head.count
        guard key.count <= Int(UInt32.max), variant.count <= Int(UInt32.max), head.count <= Int(UInt32.max),
              prefix <= maxObjectBytes else { return nil }
        let data: Int
        if let expected = expectedBodyBytes {
            guard expected >= 0, expected <= maxObjectBytes - prefix else { return nil }
            data = prefix + expected
        } else {
            data = min(maxObjectBytes, prefix + Self.initialUnknownBodyBytes)
        }
        let pid = UInt32(bitPattern: Sys.processID())
        let reserved: (block: Int, generation: UInt64, capacity: Int)? = locked {
            guard let block = allocateEvicting(ArenaHeap.blockSize(forPayload: F.metadataBytes + data)) else { return nil }
            arena.zero(block + F.base, count: F.metadataBytes)
            arena.store64(block + F.hash, hash)
            arena.store32(block + F.keyCount, UInt32(key.count))
            arena.store32(block + F.variantCount, UInt32(variant.count))
            arena.store32(block + F.headCount, UInt32(head.count))
            arena.store32(block + F.state, EntryState.reserved.rawValue)
            arena.store32(block + F.ownerPID, pid)
            return (block, generation, dataCapacity(block))
        } ?? nil
        guard let reserved else { return nil }
        arena.copyIn(reserved.block + F.data, key)
        arena.copyIn(reserved.block + F.data + key.count, variant)
        arena.copyIn(reserved.block + F.data + key.count + variant.count, head)
        return CacheWriter(store: self, block: reserved.block, generation: reserved.generation,
                           capacity: reserved.capacity, filled: prefix)
    }

    /// Moves reservation `block`, whose first `filled` data bytes are written, to one holding
    /// `data` bytes of data: grown in place if the next block is free, else copied to a new
    /// block (outside the lock). Returns the block now holding it and its data capacity, or
    /// nil (the old one freed).
    func grow(_ block: Int, generation reserved: UInt64, filled: Int, to data: Int) -> (block: Int, capacity: Int)? {
        let size = ArenaHeap.blockSize(forPayload: F.metadataBytes + data)
        enum Step { case done(Int, Int), moveTo(Int, Int), failed }
        let step: Step = locked {
            guard reserved == generation else { return .failed }
            let before = heap.size(block)
            if heap.grow(block, to: size) {
                addCounter(L.usedBytes, heap.size(block) - before)
                return .done(block, dataCapacity(block))
            }
            if let moved = allocateEvicting(size) {
                arena.copyWithin(from: block + F.base, to: moved + F.base, count: F.metadataBytes)
                return .moveTo(moved, dataCapacity(moved))
            }
            release(block)
            return .failed
        } ?? .failed
        switch step {
        case .done(let block, let capacity):
            return (block, capacity)
        case .failed:
            return nil
        case .moveTo(let moved, let capacity):
            arena.copyWithin(from: block + F.data, to: moved + F.data, count: filled)
            let freed: Bool = locked {
                guard reserved == generation else { return false }
                release(block)
                return true
            } ?? false
            return freed ? (moved, capacity) : nil
        }
    }

    /// Publishes reservation `block` holding `bodyCount` body bytes: trims its unused tail,
    /// replaces any entry with the same key and identical variant bytes, links it as the most
    /// recently used. False if the store was wiped since the reservation was made.
    func commit(_ block: Int, generation reserved: UInt64, bodyCount: Int) -> Bool {
        locked {
            guard reserved == generation else { return false }
            let keyCount = count(block, F.keyCount)
            let variantCount = count(block, F.variantCount)
            let data = keyCount + variantCount + count(block, F.headCount) + bodyCount
            let before = heap.size(block)
            heap.split(block, keeping: ArenaHeap.blockSize(forPayload: F.metadataBytes + data))
            addCounter(L.usedBytes, heap.size(block) - before)
            arena.store64(block + F.bodyCount, UInt64(bodyCount))
            let hash = arena.load64(block + F.hash)
            var entry = arena.loadOffset(layout.bucket(hash))
            while entry != 0 {
                let next = arena.loadOffset(entry + F.hashNext)
                if arena.load64(entry + F.hash) == hash, count(entry, F.keyCount) == keyCount,
                   count(entry, F.variantCount) == variantCount,
                   arena.equals(entry + F.data, block + F.data, count: keyCount + variantCount) {
                    unlink(entry)
                }
                entry = next
            }
            link(block)
            return true
        } ?? false
    }

    /// Frees reservation `block` unless the store was wiped since it was made.
    func abandon(_ block: Int, generation reserved: UInt64) {
        locked {
            guard reserved == generation else { return }
            release(block)
        }
    }
}

extension CacheShard {
    /// Frees the reservations of processes that no longer exist (a fork-model child killed
    /// while storing a response), which nothing else would ever free. Walks every block under
    /// the lock (O(blocks)): for the parent to call now and then, e.g. after reaping children,
    /// not per request. Returns how many were freed. A reused pid keeps its predecessor's
    /// reservation (leaked, never corrupted); pins of dead processes cannot be told apart and
    /// stay until the next wipe.
    @discardableResult
    func reclaimDeadWriters() -> Int {
        locked {
            var freed = 0
            var block = layout.heapStart
            while block < layout.heapEnd {
                let next = heap.next(block)
                if !heap.isFree(block), arena.load32(block + F.state) == EntryState.reserved.rawValue,
                   !Sys.processExists(Int32(bitPattern: arena.load32(block + F.ownerPID))) {
                    // Freeing merges the block with free neighbours; the block after a free
                    // next neighbour is used (free blocks are never adjacent) and untouched.
                    let resume = heap.isFree(next) ? heap.next(next) : next
                    release(block)
                    freed += 1
                    block = resume
                } else {
                    block = next
                }
            }
            return freed
        } ?? 0
    }
}
