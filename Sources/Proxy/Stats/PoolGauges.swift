public import Synchronization

/// Gauges of the pool and epoll models (the spec's `thread_pool` block of /_stats).
public final class PoolGauges: Sendable {
    /// Pool worker threads, or event loops.
    public let workers = Atomic<Int>(0)
    /// Workers serving a connection now: a pool worker between taking a connection and
    /// finishing it; an event loop while it holds at least one connection.
    public let busyWorkers = Atomic<Int>(0)
    public let queueDepth = Atomic<Int>(0)
    /// The queue's capacity (the spec's example shows 128, the capacity, beside a depth of 5).
    public let maxQueueDepth = Atomic<Int>(0)

    public init() {}

    func configure(workers: Int, maxQueueDepth: Int) {
        self.workers.store(workers, ordering: .relaxed)
        self.maxQueueDepth.store(maxQueueDepth, ordering: .relaxed)
    }
}
