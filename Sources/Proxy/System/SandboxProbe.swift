// One probe of `proxy --check-sandbox` in a child process: the child installs a policy in
// enforce mode, makes one raw call and sends its result back through a pipe; a forbidden
// call kills it with SIGSYS instead. Each probe has its own child because a forbidden call
// ends the process.
#if canImport(Glibc)
import Glibc
#endif
import CSeccomp

enum SandboxProbe {
    /// What happened to one probe.
    enum Outcome: Equatable, CustomStringConvertible {
        /// The call ran (or was answered by the filter's errno rule): its result, or -errno.
        case ran(Int)
        /// The child died of this signal (SIGSYS: stopped by the filter).
        case killed(signal: Int32)
        /// The child could not be run or ended otherwise.
        case broken(String)

        var description: String {
            switch self {
            case .ran(let rc): rc >= 0 ? "ran (\(rc))" : "ran (errno \(-rc))"
            case .killed(let s): s == SIGSYS ? "killed (SIGSYS)" : "killed (signal \(s))"
            case .broken(let why): "broken (\(why))"
            }
        }
    }

    /// Runs `probe` under `policy` in a fresh child process. The child's stderr goes to
    /// /dev/null (the SIGSYS reporter's line would otherwise land in the table).
    static func run(_ probe: cseccomp_probe, under policy: SandboxPolicy) -> Outcome {
        var fds: [Int32] = [-1, -1]
        guard unsafe pipe(&fds) == 0 else { return .broken("pipe errno \(errno)") }
        let pid = fork()
        if pid < 0 {
            Sys.close(fds[0]); Sys.close(fds[1])
            return .broken("fork errno \(errno)")
        }
        if pid == 0 {
            Sys.close(fds[0])
            let null = unsafe open("/dev/null", O_WRONLY)
            if null >= 0 { dup2(null, 2); Sys.close(null) }
            do throws(SandboxError) {
                try Seccomp.install(policy, mode: .enforce)
            } catch {
                _exit(3)
            }
            var result = cseccomp_run_probe(probe)
            let written = unsafe write(fds[1], &result, MemoryLayout<Int>.size)
            _exit(written == MemoryLayout<Int>.size ? 0 : 4)
        }
        Sys.close(fds[1])
        var result = 0
        let got = unsafe read(fds[0], &result, MemoryLayout<Int>.size)
        Sys.close(fds[0])
        var status: Int32 = 0
        while unsafe waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let termination = status & 0x7F
        if termination != 0 && termination != 0x7F { return .killed(signal: termination) }
        let code = (status >> 8) & 0xFF
        if code == 0 && got == MemoryLayout<Int>.size { return .ran(result) }
        return .broken(code == 3 ? "filter not installed" : "exit status \(code)")
    }
}
