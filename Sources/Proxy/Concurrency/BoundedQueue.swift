/// A fixed-capacity FIFO shared by producer and consumer threads (CS:APP 12.5.4), guarded by
/// one mutex with a condition variable. Producers never block: `tryPush` fails when full, so
/// the acceptor can answer 503 instead of letting a backlog grow without bound.
public final class BoundedQueue<Element>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var ring: [Element?]
    private var head = 0
    private var count = 0
    private var closed = false
    /// Highest depth seen, for stats.
    private var highWater = 0

    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0, "queue capacity must be positive")
        self.capacity = capacity
        ring = Array(repeating: nil, count: capacity)
    }

    /// Enqueues unless full or closed; returns false then.
    public func tryPush(_ element: Element) -> Bool {
        lock.withLock {
            guard !closed, count < capacity else { return false }
            ring[(head + count) % capacity] = element
            count += 1
            highWater = max(highWater, count)
            lock.signal()
            return true
        }
    }

    /// Dequeues, waiting while empty; nil once the queue is closed and drained.
    public func pop() -> Element? {
        lock.withLock {
            while count == 0 && !closed { lock.wait() }
            guard count > 0 else { return nil }
            let element = ring[head]
            ring[head] = nil
            head = (head + 1) % capacity
            count -= 1
            return element
        }
    }

    /// Wakes every waiting consumer; later pops drain what is left, then return nil.
    public func close() {
        lock.withLock {
            closed = true
            lock.broadcast()
        }
    }

    public var depth: Int { lock.withLock { count } }
    public var maxDepth: Int { lock.withLock { highWater } }
}
