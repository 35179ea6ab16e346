import Synchronization

/// A shareable atomic integer (a class, so closures on other threads can hold it).
public final class AtomicCounter: Sendable {
    private let storage = Atomic<Int>(0)

    public init() {}

    public var value: Int { storage.load(ordering: .acquiring) }
    public func increment() { storage.add(1, ordering: .acquiringAndReleasing) }
    public func decrement() { storage.subtract(1, ordering: .acquiringAndReleasing) }
}
