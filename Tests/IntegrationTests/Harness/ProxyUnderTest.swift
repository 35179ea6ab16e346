import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The real `proxy` binary running on loopback, its stderr log captured to a file.
///
/// Started on a random high port below the kernel's ephemeral range (retried when the port
/// is taken), listening on 127.0.0.1 only, with `--via-name testproxy` and a short drain so a
/// stop is quick. `finish()` sends SIGTERM and checks the exit: status 0, a
/// `shutdown_complete` line, and no sanitizer report.
final class ProxyUnderTest: @unchecked Sendable {
    let model: String
    let port: UInt16
    let child: ChildProcess
    let logFile: URL
    /// Started with `--log-format json`: lines are JSON objects (`LogLine(json:)`).
    let jsonLog: Bool
    private var finished = false

    static let viaName = "testproxy"

    /// With PORTCULLIS_FAULTY_IO=1 (plain build only) every proxy of the suite runs under the
    /// faulty-I/O shim (see FaultyIOTests), seeded from PORTCULLIS_FAULT_SEED (default 1), at
    /// the fault rate PORTCULLIS_FAULT_RATE (default 0.3).
    static let faultyIOEverywhere = ProcessInfo.processInfo.environment["PORTCULLIS_FAULTY_IO"] == "1" && !BuildLocation.isSanitized

    init(model: String, options: [String] = [], environment: [String: String] = [:], in directory: TemporaryDirectory) throws {
        self.model = model
        jsonLog = zip(options, options.dropFirst()).contains { $0 == "--log-format" && $1 == "json" }
        var environment = environment
        if BuildLocation.sanitizer == "thread" && environment["TSAN_OPTIONS"] == nil {
            // The proxy runs under its seccomp sandbox, which forbids what the TSan runtime's
            // symbolizer needs (pipe2, fork, exec): reports are printed with raw addresses
            // instead (and still fail the test through the log check in `finish`).
            let inherited = ProcessInfo.processInfo.environment["TSAN_OPTIONS"].map { $0 + " " } ?? ""
            environment["TSAN_OPTIONS"] = inherited + "symbolize=0"
        }
        if Self.faultyIOEverywhere && environment["LD_PRELOAD"] == nil {
            let seed = ProcessInfo.processInfo.environment["PORTCULLIS_FAULT_SEED"].flatMap { UInt64($0) } ?? 1
            let rate = ProcessInfo.processInfo.environment["PORTCULLIS_FAULT_RATE"].flatMap { Double($0) } ?? 0.3
            environment.merge(try FaultyIOShim.environment(seed: seed, rate: rate, faultLog: directory.file("faults.txt"))) { a, _ in a }
        }
        guard FileManager.default.isExecutableFile(atPath: BuildLocation.proxyBinary.path) else {
            throw HarnessError("no proxy binary at \(BuildLocation.proxyBinary.path): build with `swift build --build-tests` "
                + "(same flags and --scratch-path as the test run), or set PORTCULLIS_PROXY")
        }
        var lastLog = ""
        for attempt in 0..<8 {
            let port = UInt16.random(in: 20000...32000)
            let logFile = directory.file("proxy-\(model)-\(port)-\(attempt).log")
            let stderr = try directory.create(logFile.lastPathComponent)
            defer { close(stderr) }
            let arguments = ["-p", String(port), "--listen", "127.0.0.1", "-c", model, "--via-name", Self.viaName,
                             "--drain-timeout", "3000"] + options
            let child = try ChildProcess(BuildLocation.proxyBinary.path, arguments,
                                         environment: ChildEnvironment.minimal(environment), stderr: stderr)
            let deadline = Clock.nowMs() + 20_000
            while Clock.nowMs() < deadline {
                lastLog = Files.readText(logFile.path)
                if lastLog.contains("Listening on 127.0.0.1:\(port)") && (model != "pool" || lastLog.contains("Thread pool started")) {
                    self.port = port
                    self.child = child
                    self.logFile = logFile
                    return
                }
                if !child.isRunning { break }
                usleep(10_000)
            }
            child.kill9()
            if !lastLog.contains("listen_failed") { break } // not a port clash: give up
        }
        throw HarnessError("proxy did not start; log:\n\(lastLog)")
    }

    var pid: Int32 { child.pid }

    /// The log so far.
    var log: String { Files.readText(logFile.path) }

    /// Every log line, parsed; an unparseable line comes back with `parsed` nil.
    var logLines: [(text: String, parsed: LogLine?)] {
        log.split(separator: "\n").map { (String($0), jsonLog ? LogLine(json: String($0)) : LogLine(String($0))) }
    }

    /// Parsed records with this event.
    func records(_ event: String) -> [LogLine] {
        logLines.compactMap(\.parsed).filter { $0.event == event }
    }

    /// Waits (bounded) until `predicate` holds for the log; returns whether it did.
    @discardableResult
    func waitForLog(seconds: Double = 10, _ predicate: (String) -> Bool) -> Bool {
        let deadline = Clock.nowMs() + Int(seconds * 1000)
        while Clock.nowMs() < deadline {
            if predicate(log) { return true }
            usleep(20_000)
        }
        return predicate(log)
    }

    /// Waits until `count` `request_complete` records were logged (the log is written by a
    /// background thread, a little after the response).
    @discardableResult
    func waitForCompleted(_ count: Int, seconds: Double = 10) -> Bool {
        waitForLog(seconds: seconds) { text in
            text.components(separatedBy: jsonLog ? "\"event\":\"request_complete\"" : "] request_complete ").count - 1 >= count
        }
    }

    // MARK: - /proc views of the running proxy

    /// Open descriptors of the proxy.
    func openDescriptors() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).sorted()
    }

    /// A field of /proc/<pid>/status in kB (VmHWM: peak resident set; VmRSS: current).
    func statusKiB(_ field: String) -> Int? {
        guard let bytes = Files.read("/proc/\(pid)/status") else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        }
        return nil
    }

    /// Children of the proxy and their states (from /proc/*/stat); "Z" marks a zombie.
    func childStates() -> [(pid: Int, state: String)] {
        var out: [(Int, String)] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let p = Int(entry), let stat = Files.read("/proc/\(p)/stat").map({ String(decoding: $0, as: UTF8.self) }),
                  let close = stat.lastIndex(of: ")") else { continue }
            let rest = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            if rest.count > 1, Int(rest[1]) == Int(pid) { out.append((p, String(rest[0]))) }
        }
        return out
    }

    // MARK: - Stopping

    /// How the first `stop()` ended: nil before, `.some(nil)` if the proxy had to be killed.
    private var stopped: ChildProcess.Exit??

    /// SIGTERM, then waits (bounded) for the exit. Returns how it ended; nil if it had to be
    /// killed. Later calls return the first result.
    @discardableResult
    func stop(seconds: Double = 20) -> ChildProcess.Exit? {
        if let stopped { return stopped }
        child.send(SIGTERM)
        let exit = child.wait(seconds: seconds)
        if exit == nil { child.kill9() }
        stopped = .some(exit)
        return exit
    }

    /// Stops the proxy (if the test did not) and records an issue unless it exited 0 after
    /// logging `shutdown_complete`, with no sanitizer report and every line in the log format.
    /// Checks once; later calls do nothing.
    func finish(sourceLocation: SourceLocation = #_sourceLocation) {
        guard !finished else { return }
        finished = true
        let exit = stop()
        let text = log
        #expect(exit == .status(0), "proxy (\(model)) ended with \(exit?.description ?? "no exit: killed"); log tail:\n\(text.suffix(3000))",
                sourceLocation: sourceLocation)
        #expect(text.contains(jsonLog ? "\"event\":\"shutdown_complete\"" : "] shutdown_complete "), "no shutdown_complete line (\(model))", sourceLocation: sourceLocation)
        for marker in ["ThreadSanitizer", "AddressSanitizer", "LeakSanitizer", "runtime error:", "Fatal error"] where text.contains(marker) {
            Issue.record("proxy (\(model)) log contains \(marker):\n\(text.suffix(6000))", sourceLocation: sourceLocation)
        }
        let bad = logLines.filter { $0.parsed == nil }.map(\.text)
        #expect(bad.isEmpty, "unparseable log lines (\(model)): \(bad.prefix(5))", sourceLocation: sourceLocation)
    }

    deinit {
        if child.isRunning { child.kill9() }
    }
}
