public import Synchronization

/// Gauges of the pool model (the spec's `thread_pool` block of /_stats).
public final class PoolGauges: Sendable {
    public let workers = Atomic<Int>(0)
    public let queueDepth = Atomic<Int>(0)
    public let maxQueueDepth = Atomic<Int>(0)

    public init() {}

    func configure(workers: Int, maxQueueDepth: Int) {
        self.workers.store(workers, ordering: .relaxed)
        self.maxQueueDepth.store(maxQueueDepth, ordering: .relaxed)
    }
}
