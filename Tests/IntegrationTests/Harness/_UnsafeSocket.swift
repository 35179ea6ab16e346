#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client on IPv4 loopback for raw-byte tests (malformed requests, pipelining,
/// slow clients, load). Every wait is bounded by poll(2); the descriptor closes on `close()`
/// or deinit. The only file of the target with pointer code.
final class TCPClient: @unchecked Sendable {
    private(set) var fd: Int32
    /// Set when a read failed with ECONNRESET (the peer reset rather than closed).
    private(set) var sawReset = false

    init(port: UInt16, timeoutMs: Int32 = 5_000) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var address = loopbackAddress(port)
        let rc = unsafe withUnsafePointer(to: &address) { p in
            unsafe p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                unsafe connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0 {
            let code = errno
            Glibc.close(fd)
            fd = -1
            throw HarnessError("connect to 127.0.0.1:\(port): errno \(code)")
        }
        var one: Int32 = 1
        _ = unsafe setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Sends all of `bytes` (bounded: each blocked write waits at most `timeoutMs`).
    func send(_ bytes: [UInt8], timeoutMs: Int32 = 10_000) throws {
        var offset = 0
        while offset < bytes.count {
            let n = unsafe bytes.withUnsafeBytes { raw in
                unsafe Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if n > 0 { offset += n; continue }
            let code = errno
            if n < 0 && code == EINTR { continue }
            if n < 0 && (code == EAGAIN || code == EWOULDBLOCK) {
                guard try waitFor(Int16(POLLOUT), timeoutMs: timeoutMs) else {
                    throw HarnessError("send timed out after \(offset) of \(bytes.count) bytes")
                }
                continue
            }
            throw HarnessError("send: errno \(code)")
        }
    }

    func send(_ text: String, timeoutMs: Int32 = 10_000) throws { try send(Array(text.utf8), timeoutMs: timeoutMs) }

    /// Up to `max` bytes; empty at end of stream (FIN or reset). Throws if nothing arrives in
    /// `timeoutMs`.
    func receive(max: Int = 65536, timeoutMs: Int32) throws -> [UInt8] {
        guard try waitFor(Int16(POLLIN), timeoutMs: timeoutMs) else {
            throw HarnessError("no data within \(timeoutMs) ms")
        }
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let n = unsafe buffer.withUnsafeMutableBytes { raw in unsafe recv(fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT)) }
            if n >= 0 { return Array(buffer[0..<n]) }
            let code = errno
            if code == EINTR { continue }
            if code == ECONNRESET { sawReset = true; return [] }
            if code == EAGAIN || code == EWOULDBLOCK {
                guard try waitFor(Int16(POLLIN), timeoutMs: timeoutMs) else { throw HarnessError("no data within \(timeoutMs) ms") }
                continue
            }
            throw HarnessError("recv: errno \(code)")
        }
    }

    /// Everything until the peer closes; throws if that takes longer than `timeoutMs`.
    func readToEnd(timeoutMs: Int32) throws -> [UInt8] {
        let deadline = Clock.nowMs() + Int(timeoutMs)
        var out: [UInt8] = []
        while true {
            let left = deadline - Clock.nowMs()
            guard left > 0 else { throw HarnessError("peer did not close within \(timeoutMs) ms (\(out.count) bytes read)") }
            let piece = try receive(timeoutMs: Int32(left))
            if piece.isEmpty { return out }
            out.append(contentsOf: piece)
        }
    }

    func shutdownWrite() { _ = shutdown(fd, Int32(SHUT_WR)) }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    /// True if `events` became ready within `timeoutMs`.
    private func waitFor(_ events: Int16, timeoutMs: Int32) throws -> Bool {
        guard fd >= 0 else { throw HarnessError("socket closed") }
        var p = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let rc = unsafe poll(&p, 1, timeoutMs)
            if rc >= 0 { return rc > 0 }
            if errno != EINTR { throw HarnessError("poll: errno \(errno)") }
        }
    }

    deinit { close() }
}

enum RawSocket {
    /// One line (without its newline) from `fd`, waiting at most `timeoutMs` in all.
    static func readLine(_ fd: Int32, timeoutMs: Int) throws -> String {
        let deadline = Clock.nowMs() + timeoutMs
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let left = deadline - Clock.nowMs()
            guard left > 0 else { throw HarnessError("no line within \(timeoutMs) ms") }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if unsafe poll(&p, 1, Int32(left)) <= 0 { continue }
            let n = unsafe Glibc.read(fd, &byte, 1)
            if n == 0 { throw HarnessError("end of stream before a line") }
            if n < 0 { if errno == EINTR { continue }; throw HarnessError("read: errno \(errno)") }
            if byte == 0x0A { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }
}

enum Clock {
    /// Monotonic milliseconds.
    static func nowMs() -> Int {
        var ts = timespec()
        unsafe clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
    }
}

/// A listening socket on 127.0.0.1 with a kernel-chosen port (to learn a free port number).
final class TCPListenerProbe {
    private(set) var fd: Int32
    let port: UInt16

    init() throws {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var address = loopbackAddress(0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = unsafe withUnsafeMutablePointer(to: &address) { p in
            unsafe p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                unsafe bind(s, $0, length) == 0 && listen(s, 16) == 0 && getsockname(s, $0, &length) == 0
            }
        }
        guard ok else {
            Glibc.close(s)
            throw HarnessError("bind/listen on 127.0.0.1:0 failed: errno \(errno)")
        }
        fd = s
        port = UInt16(bigEndian: address.sin_port)
    }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { close() }
}

/// Holds 127.0.0.1:`port` bound but not listening, so connecting to it is refused and no other
/// test's server can take the port meanwhile (a stopped origin's port stays "down").
final class RefusingPort {
    private var fd: Int32

    init(_ port: UInt16) throws {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var one: Int32 = 1
        _ = unsafe setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopbackAddress(port)
        let ok = unsafe withUnsafePointer(to: &address) { p in
            unsafe p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                unsafe bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard ok else {
            let code = errno
            Glibc.close(s)
            throw HarnessError("bind 127.0.0.1:\(port) failed: errno \(code)")
        }
        fd = s
    }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { close() }
}

/// 127.0.0.1:`port` as an IPv4 socket address (port 0: the kernel chooses).
func loopbackAddress(_ port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}
