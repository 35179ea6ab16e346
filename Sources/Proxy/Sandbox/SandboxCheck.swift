import CSeccomp
#if canImport(Glibc)
import Glibc
#endif

/// `proxy --check-sandbox`: the worker policy against the kernel. Each probe makes one
/// system call in a child process under the policy, enforced; what the policy data says
/// should happen (allowed, answered with an errno, or killed by SIGSYS) is compared with what
/// did. Forbidden calls of a worker (execve, fork, ptrace, opening files for writing,
/// packet sockets, bind, listen, ...) must kill the child; the calls a worker lives on must run.
public enum SandboxCheck {
    /// A probe: the system call it makes and the argument values a filter could look at
    /// (nil: a pointer or anything a rule never checks).
    struct Probe {
        var label: String
        var call: String
        var arguments: [UInt64?]
        var probe: cseccomp_probe
    }

    static let probes: [Probe] = [
        Probe(label: "getpid", call: "getpid", arguments: [], probe: CSECCOMP_PROBE_GETPID),
        Probe(label: "clock_gettime", call: "clock_gettime", arguments: [1, nil], probe: CSECCOMP_PROBE_CLOCK_GETTIME),
        Probe(label: "socket(AF_INET)", call: "socket", arguments: [2, nil, 0], probe: CSECCOMP_PROBE_SOCKET_INET),
        Probe(label: "socket(AF_INET6)", call: "socket", arguments: [10, nil, 0], probe: CSECCOMP_PROBE_SOCKET_INET6),
        Probe(label: "clone3", call: "clone3", arguments: [nil, 0], probe: CSECCOMP_PROBE_CLONE3),
        Probe(label: "execve", call: "execve", arguments: [nil, nil, nil], probe: CSECCOMP_PROBE_EXECVE),
        Probe(label: "execveat", call: "execveat", arguments: [nil, nil, nil, nil, 0], probe: CSECCOMP_PROBE_EXECVEAT),
        Probe(label: "fork (clone, SIGCHLD)", call: "clone", arguments: [17, 0, 0, 0, 0], probe: CSECCOMP_PROBE_FORK),
        Probe(label: "ptrace(TRACEME)", call: "ptrace", arguments: [0, 0, 0, 0], probe: CSECCOMP_PROBE_PTRACE),
        Probe(label: "openat(O_WRONLY|O_CREAT)", call: "openat", arguments: [nil, nil, 0o2000101, 0o600], probe: CSECCOMP_PROBE_OPEN_WRITE),
        Probe(label: "openat(/etc/hosts, O_RDONLY)", call: "openat", arguments: [nil, nil, 0o2000000], probe: CSECCOMP_PROBE_OPEN_READ),
        Probe(label: "socket(AF_PACKET)", call: "socket", arguments: [17, nil, 0], probe: CSECCOMP_PROBE_SOCKET_PACKET),
        Probe(label: "socket(AF_NETLINK)", call: "socket", arguments: [16, nil, 0], probe: CSECCOMP_PROBE_SOCKET_NETLINK),
        Probe(label: "bind", call: "bind", arguments: [nil, nil, 16], probe: CSECCOMP_PROBE_BIND),
        Probe(label: "listen", call: "listen", arguments: [nil, 1], probe: CSECCOMP_PROBE_LISTEN),
        Probe(label: "mount", call: "mount", arguments: [nil, nil, nil, 0, nil], probe: CSECCOMP_PROBE_MOUNT),
        Probe(label: "bpf", call: "bpf", arguments: [nil, nil, 0], probe: CSECCOMP_PROBE_BPF),
        Probe(label: "perf_event_open", call: "perf_event_open", arguments: [nil, 0, nil, nil, 0], probe: CSECCOMP_PROBE_PERF_EVENT_OPEN),
        Probe(label: "kexec_load", call: "kexec_load", arguments: [0, 0, nil, 0], probe: CSECCOMP_PROBE_KEXEC_LOAD),
    ]

    /// What `policy` says a call with these arguments gets.
    enum Expectation: Equatable, CustomStringConvertible {
        case allowed
        case fails(Int32)
        case killed
        var description: String {
            switch self {
            case .allowed: "allowed"
            case .fails(let e): "errno \(e)"
            case .killed: "killed (SIGSYS)"
            }
        }
    }

    static func expectation(of call: String, _ arguments: [UInt64?], in policy: SandboxPolicy) -> Expectation {
        switch policy.answer(for: call, arguments: arguments) {
        case .allow: .allowed
        case .fail(let code): .fails(code)
        case nil: .killed
        }
    }

    static func matches(_ expected: Expectation, _ observed: SandboxProbe.Outcome) -> Bool {
        switch (expected, observed) {
        case (.allowed, .ran(let rc)): rc != -Int(LinuxABI.ENOSYS) // a real answer, not the filter's
        case (.fails(let code), .ran(let rc)): rc == -Int(code)
        case (.killed, .killed(let signal)): signal == SIGSYS
        default: false
        }
    }

    /// Prints the table to stdout; returns the exit status (0: every call as expected).
    public static func run(role: SandboxRole = .worker) -> Int32 {
        let policy = SandboxPolicy(role)
        try? Seccomp.prepare()
        try? Seccomp.installReporter() // as in the proxy: children inherit the SIGSYS reporter
        print("sandbox check: \(role.rawValue) policy (\(Sandbox.isSanitizerBuild ? "sanitizer" : "standard")), enforced, libseccomp \(Seccomp.libraryVersion)")
        print(pad("call", 30) + pad("expected", 18) + pad("observed", 22) + "result")
        var mismatches = 0
        for probe in probes {
            let expected = expectation(of: probe.call, probe.arguments, in: policy)
            let observed = SandboxProbe.run(probe.probe, under: policy)
            let ok = matches(expected, observed)
            if !ok { mismatches += 1 }
            print(pad(probe.label, 30) + pad(expected.description, 18) + pad(observed.description, 22) + (ok ? "ok" : "MISMATCH"))
        }
        print(mismatches == 0 ? "all \(probes.count) calls as expected" : "\(mismatches) of \(probes.count) calls NOT as expected")
        return mismatches == 0 ? 0 : 1
    }

    /// Every role's allowlist, one rule per line: role, call, conditions, reason.
    public static func printPolicies() {
        for role in SandboxRole.allCases {
            let policy = SandboxPolicy(role)
            print("\(role.rawValue): \(policy.rules.count) rules, \(policy.allowedNames.count) calls allowed")
            for rule in policy.rules {
                let answer = switch rule.answer {
                case .allow: rule.conditions.isEmpty ? "allow" : "allow if " + rule.conditions.map(\.description).joined(separator: " && ")
                case .fail(let code): "fail errno \(code)"
                }
                print("  \(pad(rule.name, 18)) \(pad(answer, 40)) \(rule.reason)")
            }
        }
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
