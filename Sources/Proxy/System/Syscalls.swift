// Every raw system call of the engine lives in this file, so errno handling is in one place.
//
// errno is read immediately after the failing call, before anything else can overwrite it.
// EINTR is retried by `retryingEINTR`, never surfaced. EBADF and EFAULT mean we passed a bad
// descriptor or pointer: that is our bug, so they trap. Every other errno becomes a thrown
// `SystemError` for the caller to map to an event (connection refused, reset, ...).
#if canImport(Glibc)
import Glibc
#endif
import CSystemShims

/// A failed system call: which call, and its errno.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    public var call: String
    public var errno: Int32

    /// The C library's message for `errno` ("Connection refused").
    public var message: String {
        guard let text = unsafe strerror(errno) else { return "errno \(errno)" }
        return unsafe String(cString: text)
    }
    public var description: String { "\(call): \(message)" }

    public var isWouldBlock: Bool { errno == EAGAIN || errno == EWOULDBLOCK }
}

enum Sys {
    /// Runs `body` until it does not fail with EINTR; returns its result or throws its errno.
    @inline(__always)
    static func retryingEINTR<T: BinaryInteger>(_ call: String, _ body: () -> T) throws(SystemError) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            precondition(code != EBADF && code != EFAULT, "\(call) failed with EBADF/EFAULT: descriptor bug")
            throw SystemError(call: call, errno: code)
        }
    }

    static func read(_ fd: Int32, into buffer: inout [UInt8], max: Int) throws(SystemError) -> Int {
        let count = min(max, buffer.count)
        return try retryingEINTR("read") {
            unsafe buffer.withUnsafeMutableBytes { raw in unsafe Glibc.read(fd, raw.baseAddress, count) }
        }
    }

    /// One `send` with MSG_NOSIGNAL (a closed peer gives EPIPE, never SIGPIPE). May be short.
    static func send(_ fd: Int32, _ bytes: ArraySlice<UInt8>) throws(SystemError) -> Int {
        try retryingEINTR("send") {
            unsafe bytes.withUnsafeBytes { raw in unsafe Glibc.send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    /// True when a connected socket is still usable for a new request: no EOF, no error and
    /// no unread bytes (a non-blocking one-byte MSG_PEEK that would block).
    static func isQuietAndOpen(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        while true {
            let n = unsafe Glibc.recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
            if n < 0 && Glibc.errno == EINTR { continue }
            return n < 0 && (Glibc.errno == EAGAIN || Glibc.errno == EWOULDBLOCK)
        }
    }

    static func close(_ fd: Int32) {
        // close is not retried on EINTR on Linux: the descriptor is released either way.
        _ = Glibc.close(fd)
    }

    static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    static func setNonBlocking(_ fd: Int32) throws(SystemError) {
        let flags = try retryingEINTR("fcntl(F_GETFL)") { fcntl(fd, F_GETFL) }
        _ = try retryingEINTR("fcntl(F_SETFL)") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(SystemError) {
        var v = value
        _ = try retryingEINTR("setsockopt") {
            unsafe setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// The pending error of a socket (for a non-blocking connect), 0 when none.
    static func socketError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        let rc = unsafe getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length)
        return rc == 0 ? value : Glibc.errno
    }

    /// poll(2) over `fds`, waiting at most `timeoutMs` (-1: forever). EINTR returns 0 ready.
    static func poll(_ fds: inout [pollfd], timeoutMs: Int32) throws(SystemError) -> Int {
        let count = nfds_t(fds.count)
        let rc = unsafe fds.withUnsafeMutableBufferPointer { unsafe Glibc.poll($0.baseAddress, count, timeoutMs) }
        if rc < 0 {
            let code = Glibc.errno
            if code == EINTR { return 0 }
            throw SystemError(call: "poll", errno: code)
        }
        return Int(rc)
    }

    /// Monotonic clock in nanoseconds.
    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        unsafe clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Wall clock as (seconds since the epoch, milliseconds).
    static func wallClock() -> (seconds: Int, milliseconds: Int) {
        var ts = timespec()
        unsafe clock_gettime(CLOCK_REALTIME, &ts)
        return (ts.tv_sec, Int(ts.tv_nsec / 1_000_000))
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let rc = unsafe buffer.withUnsafeMutableBufferPointer { buf -> Int32 in
            guard let base = buf.baseAddress else { return -1 }
            return unsafe gethostname(base, 255)
        }
        guard rc == 0 else { return "portcullis" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func sleep(milliseconds: UInt64) {
        var request = timespec(tv_sec: Int(milliseconds / 1000), tv_nsec: Int(milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while unsafe nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    /// Returns free heap memory to the system (glibc `malloc_trim`): pages of freed chunks
    /// anywhere in the heap, not only at its top.
    static func releaseFreeMemory() {
        _ = portcullis_malloc_trim()
    }

    /// Processors online (at least 1).
    static func onlineProcessors() -> Int {
        max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    static func ignoreSIGPIPE() {
        _ = signal(SIGPIPE, SIG_IGN)
    }
}
