#if canImport(Glibc)
import Glibc
#endif

extension Sys {
    /// This process's id.
    static func processID() -> Int32 { getpid() }

    /// False only when no process `pid` exists (kill(pid, 0) fails with ESRCH); a process we
    /// may not signal (EPERM) exists.
    static func processExists(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || Glibc.errno != ESRCH
    }
}
