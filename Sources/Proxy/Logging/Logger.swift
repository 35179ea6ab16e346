#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The process's log: lines are formatted by the thread that logs them into its own
/// `LogBuffer`, handed over in batches (one lock per batch, not per line), and written to
/// stderr by one writer thread, which wakes every `writerTickMs` or when a quarter of the
/// queue is used (so workers do not pay a wake-up per batch). The hand-over queue is bounded by `capacityBytes`: a batch
/// that does not fit is dropped and counted, so a stalled stderr never blocks a worker or
/// grows memory. In `synchronous` mode (single-threaded processes, tests) batches are written
/// directly by the caller.
public final class Logger: @unchecked Sendable {
    public let minimumLevel: LogLevel
    /// Text (the spec's lines) or JSON, one object per line.
    public let format: LogOutputFormat
    let synchronous: Bool
    let capacityBytes: Int
    let fd: Int32
    private let lock = ConditionLock()
    // Guarded by `lock`:
    private var pending: [[UInt8]] = []
    private var pendingBytes = 0
    private var droppedLines = 0
    private var stopping = false
    private var writerRunning = false
    /// Receives every record when set (tests); guarded by `lock`, with `hasTap` checked first
    /// so the common case takes no lock.
    private var tap: (@Sendable (LogRecord) -> Void)?
    private let hasTap = Atomic<Bool>(false)

    /// Longest time a submitted batch waits for the writer, in milliseconds.
    static let writerTickMs: UInt64 = 20

    /// - Parameters:
    ///   - capacityBytes: most bytes queued for the writer; more is dropped and counted.
    ///   - onWriterStart: runs first on the writer thread (the sandbox hook).
    public init(minimumLevel: LogLevel, format: LogOutputFormat = .text, synchronous: Bool = false, capacityBytes: Int = 1 << 20,
                fd: Int32 = 2, onWriterStart: @escaping @Sendable () -> Void = {}) {
        self.minimumLevel = minimumLevel
        self.format = format
        self.synchronous = synchronous
        self.capacityBytes = capacityBytes
        self.fd = fd
        if !synchronous {
            writerRunning = true
            OSThread.spawn(name: "log-writer") { [self] in
                onWriterStart()
                writerLoop()
            }
        }
    }

    /// A logger that writes nothing (benchmarks of the engine alone, tests).
    public static func discarding() -> Logger { Logger(minimumLevel: .error, synchronous: true, fd: -1) }

    /// Lines dropped because the queue was full.
    public var dropped: Int { lock.withLock { droppedLines } }

    public func setTap(_ tap: (@Sendable (LogRecord) -> Void)?) {
        lock.withLock { self.tap = tap }
        hasTap.store(tap != nil, ordering: .releasing)
    }

    func observe(_ record: LogRecord) {
        guard hasTap.load(ordering: .acquiring) else { return }
        let tap = lock.withLock { self.tap }
        tap?(record)
    }

    /// Logs one record at once (start-up and shutdown lines, rare events).
    public func log(_ record: LogRecord, thread: String = OSThread.currentName()) {
        let buffer = LogBuffer(logger: self, thread: thread)
        buffer.log(record)
        buffer.flush()
    }

    /// Takes a batch of formatted lines.
    func submit(_ batch: [UInt8], lines: Int) {
        if synchronous {
            if fd >= 0 { Self.writeAll(fd, batch) }
            return
        }
        lock.withLock {
            if pendingBytes + batch.count > capacityBytes || stopping {
                droppedLines += lines
                return
            }
            pending.append(batch)
            pendingBytes += batch.count
            if pendingBytes > capacityBytes / 4 { lock.signal() }
        }
    }

    /// Writes everything queued, then stops the writer thread. Idempotent.
    public func shutdown() {
        lock.withLock {
            stopping = true
            lock.broadcast()
            while writerRunning { lock.wait(milliseconds: 100) }
        }
    }

    private func writerLoop() {
        while true {
            let (batches, done): ([[UInt8]], Bool) = lock.withLock {
                while pending.isEmpty && !stopping { lock.wait(milliseconds: Self.writerTickMs) }
                let taken = pending
                pending.removeAll(keepingCapacity: true)
                pendingBytes = 0
                return (taken, stopping)
            }
            for batch in batches where fd >= 0 { Self.writeAll(fd, batch) }
            if done {
                lock.withLock {
                    writerRunning = false
                    lock.broadcast()
                }
                return
            }
        }
    }

    /// Writes all of `bytes`, retrying short writes and EINTR; gives up on other errors.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = unsafe bytes.withUnsafeBytes { raw in unsafe write(fd, raw.baseAddress! + offset, raw.count - offset) }
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            return
        }
    }
}

/// A thread's own batch of formatted lines. Not shared between threads: each worker owns one
/// and calls `flush()` after each burst of events (the driver does it once per loop turn).
public final class LogBuffer {
    public let logger: Logger
    public var thread: String
    private var bytes: [UInt8] = []
    private var lines = 0
    private var second = -1
    /// "2024-01-15T10:00:15." for the current second; only the milliseconds change per line.
    private var secondPrefix: [UInt8] = []
    private var stamp: [UInt8] = []

    /// Lines kept before an automatic flush.
    static let flushLines = 64

    public init(logger: Logger, thread: String) {
        self.logger = logger
        self.thread = thread
        bytes.reserveCapacity(4096)
    }

    public func log(_ record: LogRecord) {
        logger.observe(record)
        guard record.level >= logger.minimumLevel else { return }
        updateTimestamp()
        switch logger.format {
        case .text: LogFormat.appendLine(record, thread: thread, timestamp: stamp, to: &bytes)
        case .json: LogJSON.appendLine(record, thread: thread, timestamp: stamp, to: &bytes)
        }
        lines += 1
        if lines >= Self.flushLines { flush() }
    }

    public func flush() {
        guard lines > 0 else { return }
        logger.submit(bytes, lines: lines)
        bytes.removeAll(keepingCapacity: true)
        lines = 0
    }

    /// Sets `stamp` to the current time, reformatting the date part only when the second changes.
    private func updateTimestamp() {
        let (s, ms) = Sys.wallClock()
        if s != second {
            second = s
            secondPrefix = Array(LogFormat.timestamp().utf8.prefix(20)) // "2024-01-15T10:00:15."
        }
        stamp.removeAll(keepingCapacity: true)
        stamp.append(contentsOf: secondPrefix)
        stamp.append(0x30 + UInt8(ms / 100))
        stamp.append(0x30 + UInt8(ms / 10 % 10))
        stamp.append(0x30 + UInt8(ms % 10))
        stamp.append(0x5A)
    }

    deinit { flush() }
}
