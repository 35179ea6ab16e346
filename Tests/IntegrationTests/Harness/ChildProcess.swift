import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process the test started, ended only by its own pid. Waits are bounded; `deinit` kills
/// and reaps a process still running, so a failing test leaves nothing behind.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    let name: String
    private let lock = NSLock()
    private var state = Spawn.State.running // guarded by `lock`

    /// Starts `executable` (a path, or a name looked up in PATH) with exactly `environment`.
    /// Standard streams are the given descriptors (-1: /dev/null); the caller keeps and
    /// closes its own copies.
    init(_ executable: String, _ arguments: [String], environment: [String: String],
         stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1) throws {
        let path = try ChildEnvironment.resolve(executable)
        name = (path as NSString).lastPathComponent
        pid = try Spawn.start(path: path, arguments: arguments, environment: environment, stdin: stdin, stdout: stdout, stderr: stderr)
    }

    /// How a process ended.
    enum Exit: Equatable, CustomStringConvertible {
        case status(Int32)
        case signal(Int32)
        var description: String {
            switch self {
            case .status(let s): "exit status \(s)"
            case .signal(let s): "killed by signal \(s)"
            }
        }
    }

    /// The exit, reaping the process if it just ended; nil while it runs.
    var exit: Exit? {
        lock.withLock {
            if state == .running { state = Spawn.poll(pid) }
            switch state {
            case .running: return nil
            case .exited(let s): return .status(s)
            case .signaled(let s): return .signal(s)
            }
        }
    }

    var isRunning: Bool { exit == nil }

    /// Sends `signal` unless the process was already reaped (so the pid cannot be reused).
    func send(_ signal: Int32) {
        lock.withLock {
            if state == .running { state = Spawn.poll(pid) }
            if state == .running { kill(pid, signal) }
        }
    }

    /// Waits at most `seconds` for the process to end; nil if it is still running.
    func wait(seconds: Double) -> Exit? {
        let deadline = Clock.nowMs() + Int(seconds * 1000)
        while true {
            if let exit { return exit }
            if Clock.nowMs() >= deadline { return nil }
            usleep(5_000)
        }
    }

    /// SIGKILL (if still running) and reap.
    func kill9() {
        send(SIGKILL)
        _ = wait(seconds: 10)
    }

    deinit {
        if isRunning { kill9() }
    }
}

/// Environment for child processes: PATH, HOME, LC_ALL and the sanitizer options of this run,
/// nothing else, so no `http_proxy` or `no_proxy` of the developer's shell changes a test.
enum ChildEnvironment {
    static let path = "/usr/local/bin:/usr/bin:/bin"

    static func minimal(_ extra: [String: String] = [:]) -> [String: String] {
        var env: [String: String] = ["PATH": path, "HOME": NSTemporaryDirectory(), "LC_ALL": "C"]
        let inherited = ProcessInfo.processInfo.environment
        for key in ["TSAN_OPTIONS", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"] {
            if let value = inherited[key] { env[key] = value }
        }
        env.merge(extra) { _, new in new }
        return env
    }

    /// `name` if it is a path, else the first executable of that name in `path`.
    static func resolve(_ name: String) throws -> String {
        if name.contains("/") { return name }
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw HarnessError("\(name) not found in \(path)")
    }
}

/// A fresh temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL
    init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("portcullis-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
    /// Creates (or truncates) a file and opens it for writing: a child's stdout or stderr.
    /// The caller closes the descriptor once the child started.
    func create(_ name: String) throws -> Int32 { try Files.create(file(name).path) }
    func remove() { try? FileManager.default.removeItem(at: url) }
}
