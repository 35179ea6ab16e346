// Loading seccomp filters through the CSeccomp shims. The conditions of a rule cross into C
// as a short array that lives only for the call.
#if canImport(Glibc)
import Glibc
#endif
import CSeccomp

/// Why a filter could not be built or loaded: which step, and its errno.
public struct SandboxError: Error, Sendable, CustomStringConvertible {
    public var step: String
    public var errno: Int32
    public var description: String { errno == 0 ? step : "\(step): errno \(errno)" }
}

enum Seccomp {
    /// The native number of a system call, or nil when this kernel's table lacks it.
    static func number(_ name: String) -> Int32? {
        let n = unsafe cseccomp_resolve(name)
        return n >= 0 ? n : nil
    }

    /// Builds `policy` with `mode`'s default action and loads it onto the calling thread.
    static func install(_ policy: SandboxPolicy, mode: SandboxMode) throws(SandboxError) {
        precondition(mode != .off)
        let action = mode == .enforce ? CSECCOMP_DEFAULT_TRAP_AND_DIE : CSECCOMP_DEFAULT_LOG
        guard let ctx = unsafe cseccomp_new(action) else { throw SandboxError(step: "seccomp_init", errno: 0) }
        defer { unsafe cseccomp_release(ctx) }
        for rule in policy.rules {
            guard let nr = number(rule.name) else {
                throw SandboxError(step: "unknown system call \(rule.name)", errno: 0)
            }
            let conditions = rule.conditions.map { c in
                cseccomp_condition(index: UInt32(c.argument), op: c.mask == ~0 ? 4 : 7, value: c.value, mask: c.mask)
            }
            let rc: Int32 = unsafe conditions.withUnsafeBufferPointer { buffer in
                switch rule.answer {
                case .fail(let code): unsafe cseccomp_fail(ctx, nr, code, UInt32(buffer.count), buffer.baseAddress)
                case .allow: unsafe cseccomp_allow(ctx, nr, UInt32(buffer.count), buffer.baseAddress)
                }
            }
            if rc != 0 { throw SandboxError(step: "seccomp_rule_add \(rule.name)", errno: -rc) }
        }
        let rc = unsafe cseccomp_load(ctx)
        if rc != 0 { throw SandboxError(step: "seccomp_load", errno: -rc) }
    }

    /// Probes the kernel once and records syscall names for the reporter (start-up, one thread).
    static func prepare() throws(SandboxError) {
        if cseccomp_prepare() != 0 { throw SandboxError(step: "libseccomp API level below 3 (kernel or library too old)", errno: 0) }
    }

    /// Installs the SIGSYS reporter (enforce mode), once per process, before any filter.
    static func installReporter() throws(SandboxError) {
        if cseccomp_install_reporter() != 0 { throw SandboxError(step: "sigaction(SIGSYS)", errno: Glibc.errno) }
    }

    /// `--sandbox-test-violation`: execve of a missing path (its result, or -errno).
    static func testViolation() -> Int { cseccomp_run_probe(CSECCOMP_PROBE_EXECVE_MISSING) }

    static var isSanitizerBuild: Bool { cseccomp_sanitizer() != 0 }

    /// The calling thread's seccomp mode (2: filtered), or -1.
    static func threadMode() -> Int { Int(cseccomp_thread_mode()) }

    static var libraryVersion: String {
        let v = cseccomp_library_version()
        return "\(v / 10000).\(v / 100 % 100).\(v % 100)"
    }
}
