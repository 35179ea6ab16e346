import Foundation
import Testing
import Proxy

/// The policies as data: what each role may and may not call. The kernel's side is checked by
/// `proxy --check-sandbox` and the integration suite (SandboxTests).
@Suite struct SandboxPolicyTests {
    // Argument values as the probes of --check-sandbox pass them (nil: a pointer).
    static let forbiddenInEveryServingRole: [(call: String, arguments: [UInt64?])] = [
        ("execve", [nil, nil, nil]),
        ("execveat", [nil, nil, nil, nil, 0]),
        ("clone", [17, 0, 0, 0, 0]),                   // fork-like: SIGCHLD only
        ("ptrace", [0, 0, 0, 0]),
        ("openat", [nil, nil, 0o2000101, 0o600]),      // O_WRONLY | O_CREAT | O_CLOEXEC
        ("openat", [nil, nil, 0o2000102, 0o600]),      // O_RDWR | O_CREAT | O_CLOEXEC
        ("socket", [17, 3, 0]),                        // AF_PACKET
        ("socket", [16, 3, 0]),                        // AF_NETLINK
        ("bind", [nil, nil, 16]),
        ("listen", [nil, 1]),
        ("mount", [nil, nil, nil, 0, nil]),
        ("kexec_load", [0, 0, nil, 0]),
        ("bpf", [nil, nil, 0]),
        ("perf_event_open", [nil, 0, nil, nil, 0]),
    ]

    @Test("Workers, fork children and the accepting threads cannot exec, fork, trace, write files or bind",
          arguments: [SandboxRole.worker, .forkChild, .acceptor, .servingAcceptor, .spawningAcceptor, .resolver, .logger])
    func forbiddenCalls(role: SandboxRole) {
        let policy = SandboxPolicy(role, sanitized: false)
        for probe in Self.forbiddenInEveryServingRole {
            #expect(policy.answer(for: probe.call, arguments: probe.arguments) == nil, "\(role) allows \(probe.call) \(probe.arguments)")
        }
    }

    @Test("Workers open nothing (read-only opens answer EACCES, others kill); resolvers and fork children read-only at most")
    func opening() {
        let readOnly: [UInt64?] = [nil, nil, 0o2000000]
        #expect(SandboxPolicy(.worker, sanitized: false).answer(for: "openat", arguments: readOnly) == .fail(errno: 13))
        #expect(SandboxPolicy(.resolver, sanitized: false).answer(for: "openat", arguments: readOnly) == .allow)
        #expect(SandboxPolicy(.forkChild, sanitized: false).answer(for: "openat", arguments: readOnly) == .allow)
        #expect(SandboxPolicy(.resolver, sanitized: false).answer(for: "openat", arguments: [nil, nil, 0o2001101]) == nil) // O_TRUNC|O_CREAT
    }

    @Test("Only the fork parent may fork, and only as glibc's fork() does; threads only where they are created")
    func processesAndThreads() {
        let fork: [UInt64?] = [0x0120_0011, 0, 0, nil, 0]
        let thread: [UInt64?] = [0x003D_0F00, nil, nil, nil, nil]
        for role in SandboxRole.allCases {
            let policy = SandboxPolicy(role, sanitized: false)
            #expect((policy.answer(for: "clone", arguments: fork) == .allow) == (role == .forkParent), "\(role)")
            #expect((policy.answer(for: "clone", arguments: thread) == .allow) == (role == .spawningAcceptor), "\(role)")
            #expect(policy.answer(for: "clone3", arguments: [nil, 88]) == .fail(errno: 38), "\(role): clone3 must answer ENOSYS")
        }
    }

    @Test("Sockets: IPv4 and IPv6 only")
    func socketFamilies() {
        let worker = SandboxPolicy(.worker, sanitized: false)
        #expect(worker.answer(for: "socket", arguments: [2, 1, 0]) == .allow)
        #expect(worker.answer(for: "socket", arguments: [10, 1, 0]) == .allow)
        #expect(worker.answer(for: "socket", arguments: [1, 1, 0]) == nil)
    }

    @Test("A fork child's calls are all allowed by the parent's filter too (it starts under it)")
    func forkChildWithinParent() {
        let parent = SandboxPolicy(.forkParent, sanitized: false)
        for rule in SandboxPolicy(.forkChild, sanitized: false).rules {
            #expect(parent.rules.contains(rule), "\(rule.name) \(rule.conditions)")
        }
    }

    /// SECURITY.md's abbreviation of each role in the policy table.
    static let letters: [SandboxRole: String] = [
        .acceptor: "A", .servingAcceptor: "SA", .spawningAcceptor: "TA", .worker: "W",
        .resolver: "R", .logger: "L", .forkParent: "FP", .forkChild: "FC",
    ]

    @Test("SECURITY.md states the policies as the code has them: each role's call count and every (call, role) of the table")
    func securityDocumentMatchesThePolicies() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("SECURITY.md"), encoding: .utf8)
        let rows = text.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
        // Role summary: | role (X) | threads | count |
        for role in SandboxRole.allCases {
            let letter = try #require(Self.letters[role])
            let row = try #require(rows.first { $0.count >= 4 && $0[1] == "\(role.rawValue) (\(letter))" }, "no summary row for \(role)")
            #expect(Int(row[3]) == SandboxPolicy(role, sanitized: false).allowedNames.count, "\(role): SECURITY.md says \(row[3])")
        }
        // Policy table: | `call` | answer | roles | why |, roles "all" or letters.
        var documented = Set<String>()
        for row in rows where row.count >= 5 && row[1].hasPrefix("`") && ["allow", "fail", "if "].contains(where: row[2].hasPrefix) {
            let call = row[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let roles = row[3] == "all" ? Array(Self.letters.values) : row[3].split(separator: " ").map(String.init)
            for letter in roles { documented.insert("\(call) \(letter)") }
        }
        var inCode = Set<String>()
        for role in SandboxRole.allCases {
            for rule in SandboxPolicy(role, sanitized: false).rules { inCode.insert("\(rule.name) \(Self.letters[role] ?? "?")") }
        }
        #expect(documented.subtracting(inCode).sorted() == [], "in SECURITY.md, not in the code")
        #expect(inCode.subtracting(documented).sorted() == [], "in the code, not in SECURITY.md")
    }

    @Test("Every rule names a system call this kernel knows and gives a reason", arguments: SandboxRole.allCases)
    func rulesResolve(role: SandboxRole) {
        for sanitized in [false, true] {
            let policy = SandboxPolicy(role, sanitized: sanitized)
            #expect(policy.unknownNames.isEmpty, "\(role): \(policy.unknownNames)")
            #expect(policy.rules.allSatisfy { !$0.reason.isEmpty })
        }
    }
}
