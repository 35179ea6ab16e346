import Foundation

/// Many raw clients at once, each on its own thread: all connect, wait at a barrier so the
/// proxy has them all open together, then each sends its requests one after another on its
/// connection and checks every response. Bounded: every socket wait has a timeout and the
/// whole run a deadline.
enum ClientLoad {
    /// What one client does: its requests (path, expected body length) in order.
    struct Plan: Sendable {
        var requests: [(path: String, size: Int)]
    }

    final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var failures: [String] = []
        private(set) var responses = 0
        private(set) var finished = 0

        func fail(_ message: String) { lock.withLock { failures.append(message) } }
        func ok() { lock.withLock { responses += 1 } }
        func done() { lock.withLock { finished += 1 } }
        var snapshot: (failures: [String], responses: Int, finished: Int) { lock.withLock { (failures, responses, finished) } }
    }

    /// Runs `plans.count` clients against `proxyPort`, requests addressed to `originPort`.
    static func run(_ plans: [Plan], proxyPort: UInt16, originPort: UInt16, deadlineSeconds: Int = 120) -> Outcome {
        let outcome = Outcome()
        let barrier = DispatchGroup()
        let release = DispatchSemaphore(value: 0)
        for _ in plans { barrier.enter() }
        for (index, plan) in plans.enumerated() {
            let thread = Thread {
                defer { outcome.done() }
                var client: TCPClient?
                do {
                    client = try TCPClient(port: proxyPort)
                } catch {
                    outcome.fail("client \(index): \(error)")
                }
                barrier.leave()
                release.wait()
                guard let client else { return }
                defer { client.close() }
                let reader = HTTPReader(client)
                for (path, size) in plan.requests {
                    do {
                        try client.send("GET http://127.0.0.1:\(originPort)\(path) HTTP/1.1\r\nHost: 127.0.0.1:\(originPort)\r\n\r\n",
                                        timeoutMs: 30_000)
                        let response = try reader.next(timeoutMs: 30_000)
                        if response.status != 200 {
                            outcome.fail("client \(index) \(path): status \(response.status)")
                        } else if let problem = BodyPattern.firstMismatch(response.body, expected: size) {
                            outcome.fail("client \(index) \(path): \(problem)")
                        } else {
                            outcome.ok()
                        }
                    } catch {
                        outcome.fail("client \(index) \(path): \(error)")
                        return
                    }
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        // All connected (or failed to): let them go together.
        if barrier.wait(timeout: .now() + 30) == .timedOut { outcome.fail("clients did not all connect within 30 s") }
        for _ in plans { release.signal() }
        let deadline = Date().addingTimeInterval(TimeInterval(deadlineSeconds))
        while outcome.snapshot.finished < plans.count && Date() < deadline { usleep(10_000) }
        if outcome.snapshot.finished < plans.count {
            outcome.fail("\(plans.count - outcome.snapshot.finished) clients still running after \(deadlineSeconds) s")
        }
        return outcome
    }
}
