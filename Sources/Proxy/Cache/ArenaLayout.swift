/// Where everything lives in a cache store's arena: byte offsets, fixed when the store is made
/// (so identical in every process forked afterwards). Nothing here touches memory.
///
/// ```
/// 0            header words (counters, LRU ends, dirty flag, generation)
/// 128          the process-shared robust mutex
/// 192          allocator: first-level bitmap's second-level bitmaps, free-list heads
/// fillTable    "fill in progress" markers
/// buckets      the index: `bucketCount` entry offsets (0: empty)
/// heapStart    allocator blocks, tiling [heapStart, heapEnd)
/// heapEnd      a 16-byte used sentinel block header
/// ```
struct ArenaLayout: Sendable {
    // Header words (each 8 bytes).
    static let magic = 0
    static let dirty = 8
    static let generation = 16
    static let usedBytes = 24
    static let entryCount = 32
    static let evictions = 40
    static let resets = 48
    static let lruHead = 56
    static let lruTail = 64
    static let firstLevelBitmap = 72
    static let mutex = 128
    static let mutexBytes = 64
    static let secondLevelBitmaps = 192
    static let freeHeads = secondLevelBitmaps + HeapClasses.firstLevelCount * 8
    static let fillTable = freeHeads + HeapClasses.firstLevelCount * HeapClasses.secondLevelCount * 8
    static let fillSlotBytes = 32
    static let fillSlots = 256
    /// Slots are searched in groups (the key hash picks one), so a claim looks at 8 slots.
    static let fillGroupSize = 8
    static let buckets = fillTable + fillSlots * fillSlotBytes
    static let magicValue: UInt64 = 0x5043_4143_4845_0001 // "PCACHE", version 1

    /// Power of two.
    let bucketCount: Int
    let heapStart: Int
    /// The sentinel's offset; blocks end here.
    let heapEnd: Int

    /// nil if `capacity` leaves no heap of at least `minimumHeap` bytes.
    init?(capacity: Int, minimumHeap: Int = 4096) {
        guard capacity > Self.buckets, capacity <= 1 << 40 else { return nil }
        // About one bucket per 2 KiB of capacity (an average entry is larger): at least 16,
        // at most 2^24 (a 128 MiB index).
        var count = 16
        while count * 2 <= capacity / 2048 && count < 1 << 24 { count *= 2 }
        bucketCount = count
        heapStart = (Self.buckets + count * 8 + 15) & ~15
        heapEnd = ((capacity & ~15) - ArenaBlock.headerBytes)
        guard heapEnd - heapStart >= minimumHeap else { return nil }
    }

    func bucket(_ hash: UInt64) -> Int {
        Self.buckets + Int(truncatingIfNeeded: hash & UInt64(bucketCount - 1)) * 8
    }
}

/// A block header (16 bytes, blocks 16-aligned): the previous block's size (valid only while
/// that block is free: a boundary tag) and this block's size with two flag bits. A free block
/// keeps its free-list links in its first 16 payload bytes, so a block is at least 32 bytes.
/// Public only for `minimumBytes`, which tests and the `cache-operations` fuzz target use to
/// bound an entry's block size (a remainder smaller than it is never split off).
public enum ArenaBlock {
    static let headerBytes = 16
    public static let minimumBytes = 32
    static let alignment = 16
    static let prevSize = 0
    static let sizeAndFlags = 8
    static let nextFree = 16
    static let prevFree = 24
    static let freeFlag: UInt64 = 1
    static let prevFreeFlag: UInt64 = 2
    static let flagMask: UInt64 = 15
}

/// An entry's metadata, at the start of its block's payload, followed by its bytes in one
/// run: key, variant, head, body. The entry is named by its block's offset.
enum EntryField {
    static let base = ArenaBlock.headerBytes
    static let hash = base + 0
    static let lruPrev = base + 8
    static let lruNext = base + 16
    static let hashPrev = base + 24
    static let hashNext = base + 32
    /// Body bytes committed (UInt64).
    static let bodyCount = base + 40
    static let keyCount = base + 48      // UInt32
    static let variantCount = base + 52  // UInt32
    static let headCount = base + 56     // UInt32
    static let pins = base + 60          // UInt32
    static let state = base + 64         // UInt32: EntryState
    static let ownerPID = base + 68      // UInt32: the process that reserved it
    static let metadataBytes = 80
    /// Offset of the key within the block.
    static let data = base + metadataBytes
}

/// The life of an entry's block.
enum EntryState: UInt32 {
    /// A writer is filling it; in neither the index nor the LRU.
    case reserved = 1
    /// Committed: in the index and the LRU.
    case live = 2
    /// Removed or replaced while pinned: in neither; freed when the last pin goes.
    case unlinked = 3
}
