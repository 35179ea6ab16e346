// Pointer code of the cache store, fenced here: the shared arena and every access to it.
// An `Arena` maps one anonymous MAP_SHARED region; everything else in `Cache/` addresses it by
// byte offsets (`Int`), never by pointers, so processes forked after the mapping was made see
// the same structure at whatever address. Every access checks its range against the mapping
// before a pointer is formed, and no pointer leaves this file except inside the closures of
// `withSpan`/`withRawBuffer`, which do not let it escape. Covered by the ASan and TSan runs.
#if canImport(Glibc)
import Glibc
#endif
import CSystemShims

/// One shared mapping of `size` bytes, zeroed at creation and unmapped when the arena that
/// mapped it dies; or a slice of such a mapping (a cache shard's), addressed from the slice's
/// start and keeping the mapping alive. Words are native-endian; 64-bit words must be
/// 8-aligned, 32-bit words 4-aligned (relative to a slice start that is page-aligned).
@safe final class Arena: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer
    /// Bytes mapped (and usable).
    let size: Int
    /// The arena that owns the mapping, for a slice; nil for the owner itself.
    private let mapping: Arena?

    init(size: Int) throws(CacheStoreError) {
        guard let mapped = unsafe portcullis_map_shared(size) else {
            throw .mapFailed(errno: Glibc.errno)
        }
        unsafe base = mapped
        self.size = size
        mapping = nil
    }

    /// The `size` bytes of `parent` at `offset` (page-aligned) as an arena of their own.
    init(slicing parent: Arena, offset: Int, size: Int) {
        parent.check(offset, size)
        precondition(offset % 4096 == 0, "arena slice not page-aligned")
        unsafe base = parent.base + offset
        self.size = size
        mapping = parent.mapping ?? parent
    }

    deinit {
        if mapping == nil { unsafe portcullis_unmap(base, size) }
    }

    @inline(__always)
    fileprivate func check(_ offset: Int, _ count: Int) {
        precondition(offset >= 0 && count >= 0 && count <= size && offset <= size - count,
                     "arena access outside the mapping")
    }

    // MARK: words

    @inline(__always)
    func load64(_ offset: Int) -> UInt64 {
        check(offset, 8)
        return unsafe base.load(fromByteOffset: offset, as: UInt64.self)
    }

    @inline(__always)
    func store64(_ offset: Int, _ value: UInt64) {
        check(offset, 8)
        unsafe base.storeBytes(of: value, toByteOffset: offset, as: UInt64.self)
    }

    @inline(__always)
    func load32(_ offset: Int) -> UInt32 {
        check(offset, 4)
        return unsafe base.load(fromByteOffset: offset, as: UInt32.self)
    }

    @inline(__always)
    func store32(_ offset: Int, _ value: UInt32) {
        check(offset, 4)
        unsafe base.storeBytes(of: value, toByteOffset: offset, as: UInt32.self)
    }

    /// An offset-valued word (0 means none): offsets are stored as UInt64.
    @inline(__always)
    func loadOffset(_ offset: Int) -> Int { Int(truncatingIfNeeded: load64(offset)) }

    @inline(__always)
    func storeOffset(_ offset: Int, _ value: Int) { store64(offset, UInt64(truncatingIfNeeded: value)) }

    /// Relaxed atomic word access, for counters read without the lock.
    func atomicLoad64(_ offset: Int) -> UInt64 {
        check(offset, 8)
        precondition(offset & 7 == 0)
        return unsafe portcullis_atomic_load_u64((base + offset).assumingMemoryBound(to: UInt64.self))
    }

    func atomicStore64(_ offset: Int, _ value: UInt64) {
        check(offset, 8)
        precondition(offset & 7 == 0)
        unsafe portcullis_atomic_store_u64((base + offset).assumingMemoryBound(to: UInt64.self), value)
    }

    // MARK: bytes

    /// Sets `count` bytes at `offset` to zero.
    func zero(_ offset: Int, count: Int) {
        check(offset, count)
        unsafe memset(base + offset, 0, count)
    }

    /// Copies `bytes` to `offset`.
    func copyIn(_ offset: Int, _ bytes: [UInt8]) {
        check(offset, bytes.count)
        unsafe bytes.withUnsafeBytes { source in
            guard let from = source.baseAddress else { return }
            unsafe (base + offset).copyMemory(from: from, byteCount: source.count)
        }
    }

    /// Copies `span` to `offset`.
    func copyIn(_ offset: Int, _ span: Span<UInt8>) {
        check(offset, span.count)
        unsafe span.withUnsafeBytes { source in
            guard let from = source.baseAddress else { return }
            unsafe (base + offset).copyMemory(from: from, byteCount: source.count)
        }
    }

    /// Copies `count` bytes from `source` to `target` within the arena (the ranges must not overlap).
    func copyWithin(from source: Int, to target: Int, count: Int) {
        check(source, count)
        check(target, count)
        precondition(source + count <= target || target + count <= source, "overlapping arena copy")
        unsafe (base + target).copyMemory(from: base + source, byteCount: count)
    }

    /// The `count` bytes at `offset` as an array.
    func copyOut(_ offset: Int, count: Int) -> [UInt8] {
        check(offset, count)
        return unsafe [UInt8](UnsafeRawBufferPointer(start: base + offset, count: count))
    }

    /// True if the `bytes.count` bytes at `offset` equal `bytes`.
    func equals(_ offset: Int, _ bytes: [UInt8]) -> Bool {
        check(offset, bytes.count)
        return unsafe bytes.withUnsafeBytes { other in
            guard let start = other.baseAddress else { return true }
            return unsafe memcmp(base + offset, start, other.count) == 0
        }
    }

    /// True if the `count` bytes at `first` equal those at `second`.
    func equals(_ first: Int, _ second: Int, count: Int) -> Bool {
        check(first, count)
        check(second, count)
        return unsafe memcmp(base + first, base + second, count) == 0
    }

    /// Calls `body` with the `count` bytes at `offset` as a span (valid only inside `body`).
    func withSpan<R, E: Error>(_ offset: Int, count: Int, _ body: (Span<UInt8>) throws(E) -> R) throws(E) -> R {
        check(offset, count)
        let buffer = unsafe UnsafeBufferPointer(start: (base + offset).assumingMemoryBound(to: UInt8.self), count: count)
        let span = unsafe Span(_unsafeElements: buffer)
        return try body(span)
    }

    /// Calls `body` with the `count` bytes at `offset` as a raw buffer (valid only inside
    /// `body`; it must not keep the pointer): for drivers writing straight from the arena.
    func withRawBuffer<R, E: Error>(_ offset: Int, count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        check(offset, count)
        return try unsafe body(UnsafeRawBufferPointer(start: base + offset, count: count))
    }

    // MARK: the lock

    /// Bytes a robust mutex needs in the arena.
    static var mutexSize: Int { Int(portcullis_robust_mutex_size()) }

    /// Initializes the process-shared robust mutex at `offset`. 0 or an errno.
    func initMutex(_ offset: Int) -> Int32 {
        check(offset, Self.mutexSize)
        return unsafe portcullis_robust_mutex_init(base + offset)
    }

    /// 0, EOWNERDEAD (held; make it consistent) or an errno (not held).
    func lockMutex(_ offset: Int) -> Int32 {
        check(offset, Self.mutexSize)
        return unsafe portcullis_robust_mutex_lock(base + offset)
    }

    /// 0, EBUSY, EOWNERDEAD or an errno.
    func tryLockMutex(_ offset: Int) -> Int32 {
        check(offset, Self.mutexSize)
        return unsafe portcullis_robust_mutex_trylock(base + offset)
    }

    func makeMutexConsistent(_ offset: Int) -> Int32 {
        check(offset, Self.mutexSize)
        return unsafe portcullis_robust_mutex_consistent(base + offset)
    }

    func unlockMutex(_ offset: Int) {
        check(offset, Self.mutexSize)
        _ = unsafe portcullis_robust_mutex_unlock(base + offset)
    }
}
