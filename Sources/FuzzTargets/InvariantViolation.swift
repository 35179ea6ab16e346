/// A broken invariant found by a fuzz target: a bug in the code under test (SafeParse, the
/// connection machine, the cache store) or in the target itself, never "the input was
/// malformed" (rejecting malformed input is the parser's job).
///
/// Every target has two entry points: `check(_:)` returns the violation (the replay tests
/// report it per file without killing the test process) and `run(_:)` traps on it with
/// `preconditionFailure`, so libFuzzer records the input as a crash.
public struct InvariantViolation: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Throws an `InvariantViolation` with `message` unless `condition` holds.
@inline(__always)
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(InvariantViolation) {
    if !condition { throw InvariantViolation(message()) }
}

/// Traps on a violation, printing it first (release builds drop precondition messages).
func trap(on violation: InvariantViolation?) {
    guard let violation else { return }
    print("FuzzTargets: invariant violated: \(violation.message)")
    preconditionFailure(violation.message)
}
