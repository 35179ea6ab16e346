// Pointer code of the cache store's process tests, fenced here: fork, waitpid, kill.
#if canImport(Glibc)
import Glibc
#endif

/// A child process made with fork(2) that runs one closure and leaves with `_exit`, never
/// returning into the test runner. The closure touches only the cache store's arena (the
/// parent is multi-threaded, so the child stays within what is safe after fork).
struct ForkedChild {
    let pid: pid_t

    /// Forks; the child runs `body` and exits with its result. nil if fork failed.
    static func run(_ body: () -> Int32) -> ForkedChild? {
        let pid = fork()
        if pid == 0 { _exit(body()) }
        return pid > 0 ? ForkedChild(pid: pid) : nil
    }

    enum End: Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    /// Waits for the child to end; after `seconds` kills it (SIGKILL) and reports that, so a
    /// child stuck after fork (a lock some other thread of the runner held at the time) fails
    /// its test instead of hanging the run.
    func wait(seconds: Int = 30) -> End {
        var status: Int32 = 0
        var waited = 0
        while true {
            let rc = unsafe waitpid(pid, &status, WNOHANG)
            if rc == pid { break }
            if rc < 0 && errno != EINTR { return .signaled(-1) }
            if rc == 0 {
                if waited >= seconds * 100 { _ = Glibc.kill(pid, SIGKILL) }
                ForkedChild.sleep(milliseconds: 10)
                waited += 1
            }
        }
        let low = status & 0x7F
        return low == 0 ? .exited((status >> 8) & 0xFF) : .signaled(low)
    }

    func kill(_ signal: Int32 = SIGKILL) { _ = Glibc.kill(pid, signal) }

    /// True in a ThreadSanitizer build. There, a child forked while other test threads run
    /// can hang inside the sanitizer's runtime, so process tests run under TSan only on their
    /// own (`--filter CacheStoreProcess` with PORTCULLIS_FORK_UNDER_TSAN=1).
    static let forkMayHang: Bool = {
        let tsan = unsafe dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__tsan_init") != nil
        return tsan && getenv("PORTCULLIS_FORK_UNDER_TSAN") == nil
    }()

    /// Sleeps the calling thread (the child's idle loop and the parent's polling).
    static func sleep(milliseconds: Int) { usleep(UInt32(milliseconds * 1000)) }
}
