/// One role's seccomp allowlist, as data: each rule names a system call and either allows it
/// (with no conditions: any arguments; with conditions: only when every one holds, and rules
/// for the same call are alternatives) or makes it fail with an errno without running.
/// Everything else gets the mode's default action (`SandboxMode`).
///
/// The lists are what the drivers were measured to call under `strace -f` across the whole
/// integration suite, every driver (see SECURITY.md, "Sandbox"), and no more. Each rule says
/// why it is there; SECURITY.md's table is printed from these (`proxy --print-sandbox-policy`).
public struct SandboxPolicy: Sendable {
    public let role: SandboxRole
    public let rules: [SyscallRule]

    /// The policy of `role`; `sanitized` adds the calls the ASan/TSan runtimes make
    /// (`SyscallRule.sanitizerRuntime`).
    public init(_ role: SandboxRole, sanitized: Bool = Sandbox.isSanitizerBuild) {
        self.role = role
        var rules: [SyscallRule]
        switch role {
        case .logger: rules = SyscallRule.everyThread
        case .acceptor: rules = SyscallRule.everyThread + SyscallRule.accepting
        case .worker: rules = SyscallRule.everyThread + SyscallRule.serving + SyscallRule.eventLoop
        case .servingAcceptor: rules = SyscallRule.everyThread + SyscallRule.accepting + SyscallRule.serving
        case .spawningAcceptor:
            rules = SyscallRule.everyThread + SyscallRule.accepting + SyscallRule.serving + SyscallRule.threadCreation
        case .resolver: rules = SyscallRule.everyThread + SyscallRule.resolving
        case .forkChild: rules = SyscallRule.everyThread + SyscallRule.serving + SyscallRule.resolving + SyscallRule.forkChild
        case .forkParent:
            rules = SyscallRule.everyThread + SyscallRule.accepting + SyscallRule.serving + SyscallRule.resolving
                + SyscallRule.forkChild + SyscallRule.forking
        }
        if sanitized { rules += SyscallRule.sanitizerRuntime }
        self.rules = Self.normalized(rules)
    }

    /// Duplicates removed; a call allowed without conditions drops its conditional rules
    /// (they would add nothing, and libseccomp refuses to mix them).
    /// An errno answer gives way to an allow rule for the same call and conditions.
    static func normalized(_ rules: [SyscallRule]) -> [SyscallRule] {
        let unconditional = Set(rules.filter { $0.conditions.isEmpty && $0.answer == .allow }.map(\.name))
        let allowed = Set(rules.filter { $0.answer == .allow }.map { "\($0.name) \($0.conditions)" })
        var seen = Set<String>()
        var out: [SyscallRule] = []
        for rule in rules where rule.conditions.isEmpty || !unconditional.contains(rule.name) {
            if rule.answer != .allow && allowed.contains("\(rule.name) \(rule.conditions)") { continue }
            if seen.insert(rule.key).inserted { out.append(rule) }
        }
        return out
    }

    /// What this policy answers a call with these argument values (nil: one a filter never
    /// reads, such as a pointer, which no condition can match): nil when it is denied.
    public func answer(for call: String, arguments: [UInt64?]) -> SyscallRule.Answer? {
        for rule in rules where rule.name == call {
            let holds = rule.conditions.allSatisfy { c in
                guard c.argument < arguments.count, let value = arguments[c.argument] else { return false }
                return value & c.mask == c.value
            }
            if holds { return rule.answer }
        }
        return nil
    }

    /// Names in the rules that this kernel's system call table lacks (should be none).
    public var unknownNames: [String] { rules.map(\.name).filter { Seccomp.number($0) == nil } }

    /// The system calls this policy lets run in some form, sorted.
    public var allowedNames: [String] {
        Array(Set(rules.filter { $0.answer == .allow }.map(\.name))).sorted()
    }
}

/// One entry of an allowlist.
public struct SyscallRule: Sendable, Equatable {
    public enum Answer: Sendable, Equatable {
        case allow
        /// The call fails with this errno and does not run.
        case fail(errno: Int32)
    }

    /// A condition on one argument (0-based), compared as a 64-bit value.
    public struct Condition: Sendable, Equatable, CustomStringConvertible {
        public var argument: Int
        /// (argument & mask) == value; mask all ones for plain equality.
        public var mask: UInt64
        public var value: UInt64

        public static func equal(_ argument: Int, _ value: UInt64) -> Condition {
            Condition(argument: argument, mask: ~0, value: value)
        }
        public static func masked(_ argument: Int, _ mask: UInt64, is value: UInt64) -> Condition {
            Condition(argument: argument, mask: mask, value: value)
        }
        public var description: String {
            mask == ~0 ? "arg\(argument) == \(hex(value))" : "arg\(argument) & \(hex(mask)) == \(hex(value))"
        }
        private func hex(_ v: UInt64) -> String { v < 10 ? String(v) : "0x" + String(v, radix: 16) }
    }

    public var name: String
    public var conditions: [Condition]
    public var answer: Answer
    /// One line: why the proxy needs it.
    public var reason: String

    public static func allow(_ name: String, _ reason: String) -> SyscallRule {
        SyscallRule(name: name, conditions: [], answer: .allow, reason: reason)
    }
    public static func allow(_ name: String, when condition: Condition, _ reason: String) -> SyscallRule {
        SyscallRule(name: name, conditions: [condition], answer: .allow, reason: reason)
    }
    public static func fail(_ name: String, errno: Int32, _ reason: String) -> SyscallRule {
        SyscallRule(name: name, conditions: [], answer: .fail(errno: errno), reason: reason)
    }
    public static func fail(_ name: String, when condition: Condition, errno: Int32, _ reason: String) -> SyscallRule {
        SyscallRule(name: name, conditions: [condition], answer: .fail(errno: errno), reason: reason)
    }

    var key: String { "\(name) \(conditions) \(answer)" }

    public static func == (a: Self, b: Self) -> Bool { a.key == b.key }
}

// Values from the Linux x86-64 ABI (the only architecture the filters accept).
enum LinuxABI {
    static let AF_UNIX: UInt64 = 1
    static let AF_INET: UInt64 = 2
    static let AF_INET6: UInt64 = 10
    static let AF_NETLINK: UInt64 = 16
    static let CLONE_VM: UInt64 = 0x100
    static let CLONE_THREAD: UInt64 = 0x10000
    /// glibc fork(): CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD.
    static let forkFlags: UInt64 = 0x0120_0011
    static let O_ACCMODE: UInt64 = 3
    static let O_CREAT: UInt64 = 0x40
    static let O_TRUNC: UInt64 = 0x200
    static let O_APPEND: UInt64 = 0x400
    static let PR_SET_NAME: UInt64 = 15
    static let PR_SET_NO_NEW_PRIVS: UInt64 = 38
    static let SECCOMP_SET_MODE_FILTER: UInt64 = 1
    static let SIGKILL: UInt64 = 9
    static let SIGTERM: UInt64 = 15
    static let SO_TYPE: UInt64 = 3
    static let SO_ERROR: UInt64 = 4
    static let IP_RECVERR: UInt64 = 11
    static let FIONREAD: UInt64 = 0x541B
    static let F_GETFL: UInt64 = 3
    static let F_SETFL: UInt64 = 4
    static let ENOSYS: Int32 = 38
    static let EACCES: Int32 = 13
    /// openat flags that make an open read-only: no write access, no create, truncate or append.
    static let readOnlyOpen = SyscallRule.Condition.masked(2, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, is: 0)
}

extension SyscallRule {
    /// Every thread: memory, locks, clocks, its own exit, and the log.
    static let everyThread: [SyscallRule] = [
        .allow("futex", "locks and condition variables (pthread mutexes, the log queue, the pool queue)"),
        .allow("mmap", "the allocator's arenas and large blocks (malloc)"),
        .allow("munmap", "the allocator returns large blocks and arena pages"),
        .allow("mprotect", "the allocator grows a thread arena (heap pages made writable)"),
        .allow("madvise", "the allocator and malloc_trim give free pages back (MADV_DONTNEED)"),
        .allow("brk", "the allocator grows the main heap"),
        .allow("write", "log lines to stderr; an eventfd wake-up"),
        .allow("clock_gettime", "time stamps and deadlines (when the vDSO falls back to the kernel)"),
        .allow("clock_nanosleep", "short sleeps while draining (nanosleep)"),
        .allow("restart_syscall", "the kernel resumes an interrupted wait (futex, poll, nanosleep) with it after the process was stopped and continued (SIGSTOP/SIGCONT, a debugger attaching)"),
        .allow("close", "ends connections"),
        .allow("gettid", "the C library's thread bookkeeping (locks, thread start)"),
        .allow("getsockopt", when: .equal(2, LinuxABI.SO_TYPE),
               "is it a socket? Asked by the test suite's fault-injection shim (LD_PRELOAD) before each read and write"),
        .allow("rt_sigprocmask", "the C library masks signals around thread exit"),
        .allow("exit", "a thread ends"),
        .allow("exit_group", "the process ends"),
        .fail("clone3", errno: LinuxABI.ENOSYS, "answered ENOSYS so the C library falls back to clone, whose flags a filter can check"),
        .fail("openat", when: LinuxABI.readOnlyOpen, errno: LinuxABI.EACCES,
              "no file is opened: glibc's malloc reads /sys/devices/system/cpu/online and /proc/sys/vm/overcommit_memory lazily, in whichever thread needs a new arena or trims one; refused, it falls back to defaults (opening for writing kills)"),
        .allow("sched_getaffinity", "glibc's fallback for the CPU count when /sys cannot be read (malloc arenas)"),
    ]

    /// Taking connections from the listening sockets and shutdown signals from the signalfd.
    static let accepting: [SyscallRule] = [
        .allow("poll", "waits on the listening sockets and the signalfd"),
        .allow("read", "reads a signal from the signalfd"),
        .allow("accept4", "takes a new connection (non-blocking, close-on-exec)"),
        .allow("sendto", "a 503 answer when over a limit"),
        .allow("recvfrom", "drains a rejected client's request before closing"),
        .allow("shutdown", "half-closes a rejected connection"),
        .allow("fcntl", when: .equal(1, LinuxABI.F_GETFL), "reads a socket's flags"),
        .allow("fcntl", when: .equal(1, LinuxABI.F_SETFL), "makes a socket non-blocking"),
    ]

    /// Serving connections: client and origin sockets, the event loop.
    static let serving: [SyscallRule] = [
        .allow("read", "client and origin bytes; the event loop's eventfd"),
        .allow("sendto", "bytes to clients and origins (send with MSG_NOSIGNAL)"),
        .allow("sendmsg", "queued pieces to clients and origins in one gathering send (a cache hit's head, and its body straight from the arena)"),
        .allow("recvfrom", "the one-byte MSG_PEEK liveness check of a pooled origin connection"),
        .allow("poll", "waits on a connection's sockets (blocking drivers)"),
        .allow("socket", when: .equal(0, LinuxABI.AF_INET), "an origin connection over IPv4"),
        .allow("socket", when: .equal(0, LinuxABI.AF_INET6), "an origin connection over IPv6"),
        .allow("connect", "connects to an origin"),
        .allow("getsockopt", when: .equal(2, LinuxABI.SO_ERROR), "the result of a non-blocking connect (SO_ERROR)"),
        .allow("setsockopt", "TCP_NODELAY and TCP_NOTSENT_LOWAT on origin sockets (accepted client sockets inherit them from the listener)"),
        .allow("fcntl", when: .equal(1, LinuxABI.F_GETFL), "reads a socket's flags"),
        .allow("fcntl", when: .equal(1, LinuxABI.F_SETFL), "makes an origin socket non-blocking"),
        .allow("shutdown", "passes a half-close on through a CONNECT tunnel"),
        .allow("getpid", "the cache store marks its fill claims and reservations with the owner's process id"),
        .allow("kill", when: .equal(1, 0),
               "signal 0 (nothing is sent): the cache store asks whether the owner of a fill claim or reservation still exists"),
    ]

    /// An epoll event loop (a `worker` in the epoll model).
    static let eventLoop: [SyscallRule] = [
        .allow("accept4", "an event loop accepts from the shared listening sockets"),
        .allow("epoll_wait", "an event loop waits for readiness"),
        .allow("epoll_ctl", "an event loop changes its interest set"),
    ]

    /// A fork-model child (and so its parent, whose filter it starts under).
    static let forkChild: [SyscallRule] = [
        .allow("getpid", "the process id in a fork child's log name (child-<pid>)"),
    ]

    /// Starting threads (the thread model's connection threads, which inherit the filter).
    static let threadCreation: [SyscallRule] = [
        .allow("clone", when: .masked(0, LinuxABI.CLONE_THREAD | LinuxABI.CLONE_VM, is: LinuxABI.CLONE_THREAD | LinuxABI.CLONE_VM),
               "pthread_create; only threads of this process, never a new process"),
        .allow("set_robust_list", "a new thread registers its robust futex list"),
        .allow("rseq", "a new thread registers restartable sequences"),
        .allow("madvise", "a thread's stack is given back when it ends"),
        .allow("prctl", when: .equal(0, LinuxABI.PR_SET_NAME), "a new thread names itself (conn-N)"),
    ]

    /// getaddrinfo: the resolver's files (read-only) and DNS.
    static let resolving: [SyscallRule] = [
        .allow("openat", when: LinuxABI.readOnlyOpen,
               "reads /etc/hosts, /etc/resolv.conf, /etc/nsswitch.conf, /etc/host.conf, /etc/gai.conf (read-only)"),
        .allow("newfstatat", "the C library checks whether /etc/resolv.conf changed; sizes the files it reads"),
        .allow("lseek", "the C library rewinds a file it reads"),
        .allow("read", "reads those files and DNS answers"),
        .allow("socket", when: .equal(0, LinuxABI.AF_INET), "DNS over IPv4"),
        .allow("socket", when: .equal(0, LinuxABI.AF_INET6), "DNS over IPv6"),
        .allow("connect", "DNS: the server's address on a UDP socket"),
        .allow("sendto", "DNS queries (one at a time with `options single-request`)"),
        .allow("writev", "DNS over TCP when an answer came truncated (glibc send_vc; from its source, not seen in the measurement)"),
        .allow("sendmmsg", "DNS: the A and AAAA queries in one call"),
        .allow("recvfrom", "DNS answers"),
        .allow("poll", "waits for a DNS answer"),
        .allow("ioctl", when: .equal(1, LinuxABI.FIONREAD), "DNS: FIONREAD sizes an answer"),
        .allow("setsockopt", when: .equal(2, LinuxABI.IP_RECVERR), "DNS: IP_RECVERR on the UDP socket"),
        .allow("mmap", "maps a name-service module loaded on the first lookup that needs it (nsswitch.conf)"),
    ]

    /// The fork model's parent.
    static let forking: [SyscallRule] = [
        .allow("clone", when: .equal(0, LinuxABI.forkFlags), "fork(): a child process per connection"),
        .allow("wait4", "reaps children"),
        .allow("kill", when: .equal(1, LinuxABI.SIGTERM), "passes SIGTERM on to the children at shutdown"),
        .allow("kill", when: .equal(1, LinuxABI.SIGKILL), "kills children still running at the drain timeout"),
        .allow("seccomp", when: .equal(0, LinuxABI.SECCOMP_SET_MODE_FILTER), "a child narrows itself to the fork-child policy"),
        .allow("prctl", when: .equal(0, LinuxABI.PR_SET_NO_NEW_PRIVS), "needed before a child loads its filter"),
        .allow("set_robust_list", "the C library's fork() in the child"),
    ]

    /// ASan and TSan builds only (never release): calls their runtimes make on their own.
    static let sanitizerRuntime: [SyscallRule] = [
        .allow("sched_yield", "sanitizer runtime: spin locks"),
        .allow("gettimeofday", "ThreadSanitizer runtime: its background thread's clock"),
        .allow("rseq", "ThreadSanitizer runtime: starts its background thread again in a fork child"),
        .allow("set_robust_list", "ThreadSanitizer runtime: the same thread start"),
        .allow("nanosleep", "ThreadSanitizer runtime: internal sleeps (its own raw call, not glibc's clock_nanosleep)"),
        .allow("rt_sigreturn", "sanitizer runtime: returns from its signal handlers"),
        .allow("getrandom", "sanitizer runtime"),
        .allow("gettid", "sanitizer runtime: thread ids in reports"),
        .allow("sigaltstack", "sanitizer runtime: per-thread signal stack"),
        .allow("rt_sigaction", "sanitizer runtime: signal interception"),
        .allow("openat", when: LinuxABI.readOnlyOpen, "sanitizer runtime: /proc/self/maps for reports and leak checks"),
        .allow("read", "sanitizer runtime: /proc/self/maps"),
        .allow("readlink", "sanitizer runtime: /proc/self/exe"),
        .allow("getdents64", "sanitizer runtime: /proc/self/task for the leak checker"),
        .allow("prctl", "sanitizer runtime: PR_SET_DUMPABLE/PR_GET_DUMPABLE around the leak checker"),
        .allow("ptrace", "LeakSanitizer stops the threads to scan their stacks"),
        .allow("clone", "LeakSanitizer's tracer task"),
        .allow("wait4", "LeakSanitizer waits for its tracer"),
        .allow("getpid", "LeakSanitizer: its own process id at exit"),
        .allow("getppid", "LeakSanitizer's tracer checks that the process it stops is still there"),
        .allow("sched_getaffinity", "sanitizer runtime"),
        .allow("newfstatat", "sanitizer runtime: stats the modules it symbolizes for a report"),
        .allow("fstat", "sanitizer runtime: the same, through fstat"),
        .allow("mremap", "sanitizer runtime: grows its internal buffers while writing a report"),
        .allow("ioctl", "sanitizer runtime: is stderr a terminal (colours in a report)"),
    ]
}
