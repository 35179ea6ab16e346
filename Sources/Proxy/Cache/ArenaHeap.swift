/// Size classes of the arena allocator (TLSF, Masmano et al. 2004): a first level per power
/// of two, each split into 16 second-level classes, so a class's blocks differ by at most 1/16
/// of their size. Blocks under 256 bytes get exact classes of 16 bytes (first level 0).
enum HeapClasses {
    static let secondLevelLog2 = 4
    static let secondLevelCount = 1 << secondLevelLog2
    /// Sizes below this map linearly (first level 0).
    static let smallBlockBytes = 256
    /// log2(smallBlockBytes) - 1: first level of a size `s` >= 256 is log2(s) - 7.
    static let firstLevelShift = 7
    /// Covers blocks below 2^(48 + 7) bytes; arenas are at most 2^40.
    static let firstLevelCount = 48

    /// The class a free block of `size` bytes is filed under.
    static func classOf(_ size: Int) -> (first: Int, second: Int) {
        if size < smallBlockBytes { return (0, size / (smallBlockBytes / secondLevelCount)) }
        let log = Int.bitWidth - 1 - size.leadingZeroBitCount
        let second = (size >> (log - secondLevelLog2)) ^ secondLevelCount
        return (log - firstLevelShift, second)
    }

    /// The first class whose every block holds `size` bytes (rounds up to the next class
    /// boundary, so a search never has to look inside a list). nil past the table.
    static func searchClass(_ size: Int) -> (first: Int, second: Int)? {
        var rounded = size
        if size >= smallBlockBytes {
            let log = Int.bitWidth - 1 - size.leadingZeroBitCount
            rounded += (1 << (log - secondLevelLog2)) - 1
        }
        let found = classOf(rounded)
        return found.first < firstLevelCount ? found : nil
    }
}

/// The arena's allocator: TLSF with boundary tags. Blocks tile [heapStart, heapEnd); free
/// blocks sit on one doubly linked list per size class, found in O(1) through two levels of
/// bitmaps; freeing coalesces with both physical neighbours at once, so no two free blocks
/// are ever adjacent. Every size is a block size in bytes, header included, a multiple of 16.
/// All state is in the arena; callers hold the store's lock.
struct ArenaHeap {
    let arena: Arena
    let layout: ArenaLayout
    typealias L = ArenaLayout
    typealias B = ArenaBlock

    /// The block size that holds `payload` bytes.
    static func blockSize(forPayload payload: Int) -> Int {
        max(B.minimumBytes, (payload + B.headerBytes + B.alignment - 1) & ~(B.alignment - 1))
    }

    /// Empties the heap: one free block spanning it, then the used sentinel.
    func format() {
        arena.store64(L.firstLevelBitmap, 0)
        arena.zero(L.secondLevelBitmaps, count: L.fillTable - L.secondLevelBitmaps)
        let size = layout.heapEnd - layout.heapStart
        arena.store64(layout.heapEnd + B.prevSize, UInt64(size))
        arena.store64(layout.heapEnd + B.sizeAndFlags, B.prevFreeFlag) // size 0, used
        writeHeader(layout.heapStart, size: size, free: true, prevFree: false)
        insertFree(layout.heapStart)
    }

    // MARK: headers

    func size(_ block: Int) -> Int { Int(arena.load64(block + B.sizeAndFlags) & ~B.flagMask) }
    func isFree(_ block: Int) -> Bool { arena.load64(block + B.sizeAndFlags) & B.freeFlag != 0 }
    func isPrevFree(_ block: Int) -> Bool { arena.load64(block + B.sizeAndFlags) & B.prevFreeFlag != 0 }
    func next(_ block: Int) -> Int { block + size(block) }

    private func writeHeader(_ block: Int, size: Int, free: Bool, prevFree: Bool) {
        var word = UInt64(size)
        if free { word |= B.freeFlag }
        if prevFree { word |= B.prevFreeFlag }
        arena.store64(block + B.sizeAndFlags, word)
    }

    /// Tells the block after `block` whether `block` is free (and, if so, its size).
    private func tellNext(_ block: Int, free: Bool) {
        let after = next(block)
        var word = arena.load64(after + B.sizeAndFlags)
        if free {
            word |= B.prevFreeFlag
            arena.store64(after + B.prevSize, UInt64(size(block)))
        } else {
            word &= ~B.prevFreeFlag
        }
        arena.store64(after + B.sizeAndFlags, word)
    }

    // MARK: free lists

    private func headOffset(_ first: Int, _ second: Int) -> Int {
        L.freeHeads + (first * HeapClasses.secondLevelCount + second) * 8
    }

    private func insertFree(_ block: Int) {
        let (first, second) = HeapClasses.classOf(size(block))
        let head = headOffset(first, second)
        let old = arena.loadOffset(head)
        arena.storeOffset(block + B.nextFree, old)
        arena.storeOffset(block + B.prevFree, 0)
        if old != 0 { arena.storeOffset(old + B.prevFree, block) }
        arena.storeOffset(head, block)
        let secondMap = L.secondLevelBitmaps + first * 8
        arena.store64(secondMap, arena.load64(secondMap) | (1 << UInt64(second)))
        arena.store64(L.firstLevelBitmap, arena.load64(L.firstLevelBitmap) | (1 << UInt64(first)))
    }

    private func removeFree(_ block: Int) {
        let (first, second) = HeapClasses.classOf(size(block))
        let after = arena.loadOffset(block + B.nextFree)
        let before = arena.loadOffset(block + B.prevFree)
        if after != 0 { arena.storeOffset(after + B.prevFree, before) }
        if before != 0 {
            arena.storeOffset(before + B.nextFree, after)
        } else {
            arena.storeOffset(headOffset(first, second), after)
            if after == 0 {
                let secondMap = L.secondLevelBitmaps + first * 8
                let map = arena.load64(secondMap) & ~(1 << UInt64(second))
                arena.store64(secondMap, map)
                if map == 0 {
                    arena.store64(L.firstLevelBitmap, arena.load64(L.firstLevelBitmap) & ~(1 << UInt64(first)))
                }
            }
        }
    }

    /// A free block of at least `size` bytes, O(1); nil if none.
    private func findFree(_ size: Int) -> Int? {
        guard let (first, second) = HeapClasses.searchClass(size) else { return nil }
        var level = first
        var map = arena.load64(L.secondLevelBitmaps + first * 8) & (~0 << UInt64(second))
        if map == 0 {
            let firstMap = first + 1 < 64 ? arena.load64(L.firstLevelBitmap) & (~0 << UInt64(first + 1)) : 0
            if firstMap == 0 { return nil }
            level = firstMap.trailingZeroBitCount
            map = arena.load64(L.secondLevelBitmaps + level * 8)
        }
        let block = arena.loadOffset(headOffset(level, map.trailingZeroBitCount))
        return block == 0 ? nil : block
    }

    // MARK: allocation

    /// A used block of at least `size` bytes (a block size), or nil if no free block is that
    /// large. O(1).
    func allocate(_ size: Int) -> Int? {
        guard size <= layout.heapEnd - layout.heapStart, let block = findFree(size) else { return nil }
        removeFree(block)
        writeHeader(block, size: self.size(block), free: false, prevFree: false)
        tellNext(block, free: false)
        split(block, keeping: size)
        return block
    }

    /// Returns `block` to the heap, merging it with free neighbours. O(1).
    func free(_ block: Int) {
        var start = block
        var total = size(block)
        if isPrevFree(block) {
            let before = block - Int(arena.load64(block + B.prevSize))
            removeFree(before)
            start = before
            total += size(before)
        }
        let after = block + size(block)
        if isFree(after) {
            removeFree(after)
            total += size(after)
        }
        writeHeader(start, size: total, free: true, prevFree: false)
        tellNext(start, free: true)
        insertFree(start)
    }

    /// Gives the bytes of used `block` past `size` back to the heap, if they make a block.
    func split(_ block: Int, keeping size: Int) {
        let total = self.size(block)
        guard total - size >= B.minimumBytes else { return }
        writeHeader(block, size: size, free: false, prevFree: isPrevFree(block))
        let rest = block + size
        writeHeader(rest, size: total - size, free: false, prevFree: false)
        free(rest)
    }

    /// Grows used `block` to at least `size` bytes by taking the free block after it; false
    /// (nothing changed) if that block is missing or too small.
    func grow(_ block: Int, to size: Int) -> Bool {
        let current = self.size(block)
        if current >= size { return true }
        let after = block + current
        guard isFree(after), current + self.size(after) >= size else { return false }
        removeFree(after)
        writeHeader(block, size: current + self.size(after), free: false, prevFree: isPrevFree(block))
        tellNext(block, free: false)
        split(block, keeping: size)
        return true
    }
}
