/// Name resolution off the connection threads: a few `resolver-N` threads run getaddrinfo
/// (`Resolver.resolve`) for jobs from a bounded queue, and answers are kept in a short-lived
/// cache. An event loop submits a job and goes on serving other connections; a blocking
/// worker waits for its answer. Either way the threads that read untrusted bytes never open
/// the resolver's files (/etc/hosts, /etc/resolv.conf, NSS modules) themselves.
///
/// Before `start()` (and in processes that must stay single-threaded, such as a fork-model
/// parent) `resolveBlocking` resolves on the calling thread instead.
public final class ResolverPool: @unchecked Sendable {
    public typealias Answer = Result<[SocketAddress], Resolver.Failure>

    struct Job {
        var host: String
        var port: UInt16
        var completion: @Sendable (Answer) -> Void
    }

    /// How long an answer is reused (milliseconds): successes, failures.
    static let successTTLMs: UInt64 = 10_000
    static let failureTTLMs: UInt64 = 2_000
    /// Most names cached; when full, expired entries go first, then everything.
    static let cacheCapacity = 1024

    private let jobs: BoundedQueue<Job>
    private let lock = ConditionLock()
    /// Guarded by `lock`.
    private var cache: [String: (answer: Answer, expires: UInt64)] = [:]
    /// Guarded by `lock`.
    private var started = false
    public let threadCount: Int

    /// `threads` resolver threads (at least 1) sharing a queue of `queueCapacity` jobs.
    public init(threads: Int = 2, queueCapacity: Int = 1024) {
        threadCount = max(1, threads)
        jobs = BoundedQueue(capacity: queueCapacity)
    }

    /// Starts the resolver threads; `onStart` runs first on each (the sandbox hook).
    public func start(onStart: @escaping @Sendable (_ name: String) -> Void = { _ in }) {
        lock.withLock { started = true }
        for i in 1...threadCount {
            let name = "resolver-\(i)"
            OSThread.spawn(name: name) { [self] in
                onStart(name)
                while let job = jobs.pop() {
                    let answer = lookUp(job.host, job.port)
                    job.completion(answer)
                }
            }
        }
    }

    /// Stops taking jobs; the threads end once the queue is empty.
    public func shutdown() { jobs.close() }

    /// A numeric host or an unexpired cached answer, without blocking; nil when a lookup is
    /// needed.
    public func immediate(host: String, port: UInt16) -> Answer? {
        if let numeric = SocketAddress(numericHost: host, port: port) { return .success([numeric]) }
        let key = Self.key(host, port)
        let now = Sys.monotonicNanoseconds()
        return lock.withLock {
            guard let entry = cache[key], entry.expires > now else { return nil }
            return entry.answer
        }
    }

    /// Queues a lookup; `completion` runs later on a resolver thread. Returns false (and never
    /// calls `completion`) when the queue is full or the pool stopped.
    public func submit(host: String, port: UInt16, completion: @escaping @Sendable (Answer) -> Void) -> Bool {
        jobs.tryPush(Job(host: host, port: port, completion: completion))
    }

    /// The answer for host:port, waiting for a resolver thread when it is not cached.
    public func resolveBlocking(host: String, port: UInt16) -> Answer {
        if let answer = immediate(host: host, port: port) { return answer }
        guard lock.withLock({ started }) else { return lookUp(host, port) }
        let done = ConditionLock()
        let slot = AnswerSlot()
        let queued = submit(host: host, port: port) { answer in
            done.withLock {
                slot.answer = answer
                done.signal()
            }
        }
        guard queued else { return .failure(Resolver.Failure(message: "resolver queue full")) }
        return done.withLock {
            while slot.answer == nil { done.wait() }
            return slot.answer ?? .failure(Resolver.Failure(message: "resolver stopped"))
        }
    }

    /// Runs getaddrinfo and caches the answer.
    private func lookUp(_ host: String, _ port: UInt16) -> Answer {
        let answer = Resolver.resolve(host: host, port: port)
        let ttl = if case .success = answer { Self.successTTLMs } else { Self.failureTTLMs }
        let now = Sys.monotonicNanoseconds()
        lock.withLock {
            if cache.count >= Self.cacheCapacity {
                cache = cache.filter { $0.value.expires > now }
                if cache.count >= Self.cacheCapacity { cache.removeAll() }
            }
            cache[Self.key(host, port)] = (answer, now &+ ttl &* 1_000_000)
        }
        return answer
    }

    private static func key(_ host: String, _ port: UInt16) -> String { "\(host):\(port)" }

    /// One answer handed from a resolver thread to a waiting worker (guarded by its lock).
    private final class AnswerSlot: @unchecked Sendable {
        var answer: Answer?
    }
}
