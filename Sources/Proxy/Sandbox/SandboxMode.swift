/// What the seccomp filters do with a system call outside their allowlist (`--sandbox`).
public enum SandboxMode: String, Sendable, CaseIterable {
    /// Default. The call does not run: a `sandbox_violation` line naming it goes to the log
    /// and the process dies of SIGSYS (see `CSeccomp`'s reporter).
    case enforce
    /// The call runs and the kernel writes an audit record naming it (`dmesg`, `ausearch -m
    /// SECCOMP`): for developing a policy.
    case log
    /// No filters.
    case off
}
