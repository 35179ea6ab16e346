// Counters in memory shared by every process of the proxy: pointer code, fenced here.
// A `SharedCounterBlock` maps one anonymous MAP_SHARED region; processes forked after it was
// made (the fork model's children) update the same counters, so the parent's totals and the
// stats endpoints cover them. Updates are relaxed atomics (C11 builtins, inlined).
import CSystemShims
public import Synchronization

/// A block of `capacity` counters in shared memory, zeroed, released when the block dies.
/// Counters handed out must not outlive it (`ProxyStats` owns both).
@safe final class SharedCounterBlock: @unchecked Sendable {
    private let base: UnsafeMutablePointer<Int>
    private let bytes: Int
    private let shared: Bool
    let capacity: Int
    private var used = 0

    init(capacity: Int) {
        self.capacity = capacity
        bytes = capacity * MemoryLayout<Int>.stride
        if let mapped = unsafe portcullis_map_shared(bytes) {
            unsafe base = mapped.bindMemory(to: Int.self, capacity: capacity)
            shared = true
        } else {
            // No shared mapping (should not happen): private memory still counts this process.
            unsafe base = UnsafeMutablePointer<Int>.allocate(capacity: capacity)
            unsafe base.initialize(repeating: 0, count: capacity)
            shared = false
        }
    }

    deinit {
        if shared {
            unsafe portcullis_unmap(UnsafeMutableRawPointer(base), bytes)
        } else {
            unsafe base.deallocate()
        }
    }

    /// The next unused counter. Called only while the owner is being set up (one thread).
    func next() -> SharedCounter {
        precondition(used < capacity, "SharedCounterBlock: more counters than reserved")
        defer { used += 1 }
        return unsafe SharedCounter(address: base + used)
    }

    /// The next `count` unused counters, as one array. Called only during set-up.
    func nextArray(_ count: Int) -> SharedCounterArray {
        precondition(count > 0 && used + count <= capacity, "SharedCounterBlock: more counters than reserved")
        defer { used += count }
        return unsafe SharedCounterArray(address: base + used, count: count)
    }
}

/// A run of `count` counters of a `SharedCounterBlock` (a histogram's buckets, counts per
/// status). Indexes are checked: an index outside the run traps (our bug, never input).
@safe public struct SharedCounterArray: @unchecked Sendable {
    private let address: UnsafeMutablePointer<Int>
    public let count: Int

    fileprivate init(address: UnsafeMutablePointer<Int>, count: Int) {
        unsafe self.address = address
        self.count = count
    }

    @inline(__always)
    public func add(_ value: Int, at index: Int) {
        precondition(index >= 0 && index < count, "SharedCounterArray: index out of range")
        _ = unsafe portcullis_atomic_add(address + index, value)
    }

    @inline(__always)
    public func load(at index: Int) -> Int {
        precondition(index >= 0 && index < count, "SharedCounterArray: index out of range")
        return unsafe portcullis_atomic_load(address + index)
    }

    /// Every counter's value, each read with a relaxed load (not one atomic snapshot: counts
    /// still changing while it is read may be off by the updates in between).
    public func loadAll() -> [Int] {
        (0..<count).map { unsafe portcullis_atomic_load(address + $0) }
    }
}

/// One counter of a `SharedCounterBlock`. The `ordering` parameters exist so that call sites
/// read like `Atomic`'s; every operation is relaxed, which is all a statistic needs.
@safe public struct SharedCounter: @unchecked Sendable {
    private let address: UnsafeMutablePointer<Int>

    fileprivate init(address: UnsafeMutablePointer<Int>) {
        unsafe self.address = address
    }

    public func add(_ value: Int, ordering: AtomicUpdateOrdering = .relaxed) {
        _ = unsafe portcullis_atomic_add(address, value)
    }

    public func subtract(_ value: Int, ordering: AtomicUpdateOrdering = .relaxed) {
        _ = unsafe portcullis_atomic_add(address, -value)
    }

    public func load(ordering: AtomicLoadOrdering = .relaxed) -> Int {
        unsafe portcullis_atomic_load(address)
    }

    public func store(_ value: Int, ordering: AtomicStoreOrdering = .relaxed) {
        unsafe portcullis_atomic_store(address, value)
    }
}
