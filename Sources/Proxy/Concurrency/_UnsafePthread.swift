// Pointer code for pthreads, fenced here: a mutex with a condition variable, and thread spawning.
// pthread objects must not move, so they live in heap memory allocated once per lock and freed
// in deinit; the pointers never leave this file. Covered by the TSan test run.
#if canImport(Glibc)
import Glibc
#endif
import CSystemShims

/// A mutex with one condition variable (CS:APP 12.5.4: producer-consumer).
@safe public final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        unsafe mutex = UnsafeMutablePointer.allocate(capacity: 1)
        unsafe condition = UnsafeMutablePointer.allocate(capacity: 1)
        let rc1 = unsafe pthread_mutex_init(mutex, nil)
        let rc2 = unsafe pthread_cond_init(condition, nil)
        precondition(rc1 == 0 && rc2 == 0, "pthread init failed")
    }

    deinit {
        unsafe pthread_cond_destroy(condition)
        unsafe pthread_mutex_destroy(mutex)
        unsafe condition.deallocate()
        unsafe mutex.deallocate()
    }

    public func lock() { unsafe pthread_mutex_lock(mutex) }
    public func unlock() { unsafe pthread_mutex_unlock(mutex) }

    /// Runs `body` holding the lock.
    @inline(__always)
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Waits for a signal; the lock must be held.
    public func wait() { unsafe pthread_cond_wait(condition, mutex) }

    /// Waits for a signal at most `milliseconds`; the lock must be held.
    public func wait(milliseconds: UInt64) {
        var now = timespec()
        unsafe clock_gettime(CLOCK_REALTIME, &now)
        let total = UInt64(now.tv_nsec) + (milliseconds % 1000) * 1_000_000
        var deadline = timespec()
        deadline.tv_sec = now.tv_sec + Int(milliseconds / 1000) + Int(total / 1_000_000_000)
        deadline.tv_nsec = Int(total % 1_000_000_000)
        unsafe pthread_cond_timedwait(condition, mutex, &deadline)
    }

    public func signal() { unsafe pthread_cond_signal(condition) }
    public func broadcast() { unsafe pthread_cond_broadcast(condition) }
}

/// Starting OS threads.
public enum OSThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts a detached thread named `name` (at most 15 bytes are kept) running `body`.
    /// Returns false if the system refused (EAGAIN: thread limit reached).
    @discardableResult
    public static func spawn(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
        let box = unsafe Unmanaged.passRetained(Box({
            setCurrentName(name)
            body()
        }))
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        unsafe pthread_attr_init(&attributes)
        unsafe pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        unsafe pthread_attr_setstacksize(&attributes, 512 * 1024)
        let rc = unsafe pthread_create(&thread, &attributes, { context in
            guard let context = unsafe context else { return nil }
            let box = unsafe Unmanaged<Box>.fromOpaque(context).takeRetainedValue()
            box.body()
            return nil
        }, unsafe box.toOpaque())
        unsafe pthread_attr_destroy(&attributes)
        if rc != 0 {
            unsafe box.release()
            return false
        }
        return true
    }

    /// Names the calling thread (visible in /proc/<pid>/task/*/comm and in the logs).
    public static func setCurrentName(_ name: String) {
        _ = unsafe portcullis_set_thread_name(name)
    }

    /// The calling thread's name.
    public static func currentName() -> String {
        var buffer = [CChar](repeating: 0, count: 16)
        let rc = unsafe buffer.withUnsafeMutableBufferPointer { buf -> Int32 in
            guard let base = buf.baseAddress else { return -1 }
            return unsafe portcullis_get_thread_name(base, 16)
        }
        guard rc == 0 else { return "thread" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
