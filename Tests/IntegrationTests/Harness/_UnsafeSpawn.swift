import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Process creation and reaping with posix_spawn(2) and waitpid(2), and whole-file reads and
/// writes with open/read/write, for the harness. Foundation's `Process`, `Pipe`, `FileHandle`
/// and `String(contentsOf:)` leak on Linux (LeakSanitizer reports them in the ASan run), so
/// the harness does these few things itself. Pointer code of the target lives here and in
/// `_UnsafeSocket.swift`.
enum Spawn {
    /// Starts `path` with `arguments` (argv[0] is `path`) and exactly `environment`. The
    /// child's stdin, stdout and stderr are the given descriptors (-1: /dev/null); every other
    /// descriptor is closed in the child, its signal mask is empty and SIGPIPE, SIGTERM,
    /// SIGINT, SIGHUP are at their defaults, whatever this process does with them.
    static func start(path: String, arguments: [String], environment: [String: String],
                      stdin: Int32, stdout: Int32, stderr: Int32) throws -> pid_t {
        var actions = unsafe posix_spawn_file_actions_t()
        unsafe posix_spawn_file_actions_init(&actions)
        defer { unsafe posix_spawn_file_actions_destroy(&actions) }
        for (target, fd) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            if fd >= 0 {
                unsafe posix_spawn_file_actions_adddup2(&actions, fd, target)
            } else {
                unsafe posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_RDWR, 0)
            }
        }

        var attributes = posix_spawnattr_t()
        unsafe posix_spawnattr_init(&attributes)
        defer { unsafe posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        unsafe sigemptyset(&empty)
        unsafe posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        unsafe sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP] { unsafe sigaddset(&defaults, signal) }
        unsafe posix_spawnattr_setsigdefault(&attributes, &defaults)
        unsafe posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = unsafe ([path] + arguments).map { unsafe strdup($0) } + [nil]
        let envp = unsafe environment.map { unsafe strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for unsafe p in unsafe argv { unsafe free(p) }
            for unsafe p in unsafe envp { unsafe free(p) }
        }
        var pid: pid_t = 0
        let rc = lock.withLock { unsafe posix_spawn(&pid, path, &actions, &attributes, argv, envp) }
        guard rc == 0 else { throw HarnessError("posix_spawn \(path): errno \(rc)") }
        return pid
    }

    enum State: Equatable {
        case running
        case exited(Int32)
        case signaled(Int32)
    }

    /// Reaps `pid` if it ended (without waiting).
    static func poll(_ pid: pid_t) -> State {
        var status: Int32 = 0
        while true {
            let rc = unsafe waitpid(pid, &status, WNOHANG)
            if rc == 0 { return .running }
            if rc == pid {
                let low = status & 0x7F
                return low == 0 ? .exited((status >> 8) & 0xFF) : .signaled(low)
            }
            if errno == EINTR { continue }
            return .signaled(0) // not our child any more: treat as gone
        }
    }

    /// Held while a pipe is made and marked close-on-exec and while a child is spawned, so no
    /// child of another test inherits a pipe end in between (pipe2 is not visible to Swift).
    /// Every other descriptor of the harness is opened close-on-exec.
    static let lock = NSLock()

    /// A pipe whose both ends are close-on-exec (the child gets its end by dup2).
    static func pipe() throws -> (read: Int32, write: Int32) {
        try lock.withLock {
            var fds: [Int32] = [-1, -1]
            guard unsafe Glibc.pipe(&fds) == 0 else { throw HarnessError("pipe: errno \(errno)") }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return (fds[0], fds[1])
        }
    }
}

/// Whole-file I/O on paths.
enum Files {
    /// The file's bytes, or nil if it cannot be opened.
    static func read(_ path: String) -> [UInt8]? {
        let fd = unsafe open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = unsafe buffer.withUnsafeMutableBytes { unsafe Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 { out.append(contentsOf: buffer[0..<n]); continue }
            if n < 0 && errno == EINTR { continue }
            return out
        }
    }

    static func readText(_ path: String) -> String {
        String(decoding: read(path) ?? [], as: UTF8.self)
    }

    /// Calls `body` with successive pieces of at most `size` bytes (full pieces except the
    /// last) and their offsets, until it returns false or the file ends. False if unreadable.
    static func forEachPiece(_ path: String, size: Int, _ body: (ArraySlice<UInt8>, Int) -> Bool) -> Bool {
        let fd = unsafe open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: size)
        var offset = 0
        while true {
            var filled = 0
            while filled < size {
                let n = unsafe buffer.withUnsafeMutableBytes { unsafe Glibc.read(fd, $0.baseAddress! + filled, size - filled) }
                if n > 0 { filled += n; continue }
                if n < 0 && errno == EINTR { continue }
                break
            }
            if filled == 0 { return true }
            if !body(buffer[0..<filled], offset) { return true }
            offset += filled
            if filled < size { return true }
        }
    }

    /// Creates or truncates `path` and opens it for writing (close-on-exec).
    static func create(_ path: String) throws -> Int32 {
        let fd = unsafe open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw HarnessError("open \(path): errno \(errno)") }
        return fd
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        let fd = try create(path)
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = unsafe bytes.withUnsafeBytes { unsafe Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw HarnessError("write \(path): errno \(errno)")
        }
    }

    /// memcmp of two equally long byte slices.
    static func equal(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return unsafe a.withUnsafeBytes { pa in
            unsafe b.withUnsafeBytes { pb in unsafe memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0 }
        }
    }
}
