#if canImport(Glibc)
import Glibc
#endif
import Synchronization


/// The process's sandbox: its mode and how many filters were installed. Each thread that
/// touches untrusted bytes calls `enter(role)` once, as it starts; threads it creates later
/// inherit the filter. A filter that cannot be installed ends the process (status 1) before
/// the thread reads anything: running unconfined by accident is worse than not running.
public final class Sandbox: Sendable {
    public let mode: SandboxMode
    /// For tests only (`--sandbox-test-violation`): a serving thread makes one forbidden call
    /// (execve of a path that does not exist) right after entering its role.
    let testViolation: Bool
    private let installCount = Atomic<Int>(0)

    public init(mode: SandboxMode, testViolation: Bool = false) {
        self.mode = mode
        self.testViolation = testViolation
    }

    /// True in ASan/TSan builds, whose policies hold `SyscallRule.sanitizerRuntime` too.
    public static var isSanitizerBuild: Bool { Seccomp.isSanitizerBuild }

    /// Filters installed so far in this process (one per long-lived thread, never one per
    /// connection; a fork child counts its own in its own copy).
    public var installs: Int { installCount.load(ordering: .relaxed) }

    /// Start-up, on the main thread before any filter: the SIGSYS reporter (enforce) and a
    /// warm-up name resolution so the C library has loaded its name-service modules
    /// (dlopen opens and maps files, which no filter allows).
    public func prepare() throws(SandboxError) {
        guard mode != .off else { return }
        try Seccomp.prepare()
        if mode == .enforce { try Seccomp.installReporter() }
        _ = Resolver.resolve(host: "localhost", port: 80)
    }

    /// Puts the calling thread under `role`'s policy (nothing when the mode is off).
    public func enter(_ role: SandboxRole) {
        guard mode != .off else { return }
        do throws(SandboxError) {
            try Seccomp.install(SandboxPolicy(role), mode: mode)
        } catch {
            Logger(minimumLevel: .error, synchronous: true).log(LogRecord(.error, "sandbox_install_failed", [
                ("role", .text(role.rawValue)), ("error", .text(error.description))]), thread: role.rawValue)
            _exit(1)
        }
        installCount.add(1, ordering: .relaxed)
        if testViolation && [.servingAcceptor, .spawningAcceptor, .worker, .forkChild].contains(role) {
            let rc = Seccomp.testViolation()
            Logger(minimumLevel: .warn, synchronous: true).log(LogRecord(.warn, "sandbox_test_violation", [
                ("call", .text("execve")), ("result", .int(rc))]), thread: role.rawValue)
        }
    }

    /// Log fields for the start-up line.
    var startupFields: [(key: String, value: LogValue)] {
        [("mode", .text(mode.rawValue)), ("policy", .text(Self.isSanitizerBuild ? "sanitizer" : "standard")),
         ("libseccomp", .text(Seccomp.libraryVersion))]
    }
}
