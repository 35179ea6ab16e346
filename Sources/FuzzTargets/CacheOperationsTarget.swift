import Proxy

/// Fuzz target `cache-operations`: a sequence of lookups, stores (in one go, or through up to 3
/// writers left open so reservations interleave with everything else), commits, abandons, pins
/// kept and released, removals and fill markers on one `CacheStore` (encoding: CacheScript.swift),
/// compared against `CacheReferenceModel` by `CacheOperationsDriver`:
///
/// - evictions are checked, not predicted: whatever vanished in beginStore or append is the
///   least recently used among unpinned entries, and `evictions` grew by exactly that many;
///   nothing vanishes in any other call;
/// - after every operation but fill-marker and clock ones (after which the markers are checked)
///   the store's entries are the model's, in the same recency order, with the bytes last
///   committed, blocks of the right size, and as many pins as are held; `entryCount` is the
///   model's; `usedBytes` is the sum of the entries' blocks and those of pinned entries no
///   longer in the index (exact when no writer is open, within the bounds of the open
///   reservations otherwise); `validationProblem()` is nil;
/// - a held pin's bytes never change, even after its entry was removed or replaced (a pinned
///   entry is never evicted: eviction passes over it);
/// - a lookup offers its matcher the key's variants newest first, finds the model's entry (the
///   exact variant, or the newest one) and makes it the most recently used;
/// - more than `maxObjectBytes` is refused (announced: by beginStore; otherwise by the append
///   that crosses it) and the writer is closed; with no pin held and no other writer open,
///   beginStore and append within `maxObjectBytes` succeed (liveness);
/// - claimFill, finishFill and isFilling follow a key → deadline model on the input's clock;
/// - reclaimDeadWriters frees nothing (every reservation belongs to this live process);
/// - at the end, with pins released and writers abandoned, removing every key frees every byte.
public enum CacheOperationsTarget {
    public static func run(_ data: [UInt8]) {
        trap(on: check(data))
    }

    public static func check(_ data: [UInt8]) -> InvariantViolation? {
        execute(data).violation
    }

    /// The decoded operations, ending with the violation if any (for triage of a crash file).
    public static func trace(_ data: [UInt8]) -> [String] {
        let result = execute(data, tracing: true)
        return result.trace + (result.violation.map { ["VIOLATION: \($0.message)"] } ?? [])
    }

    static func execute(_ data: [UInt8], tracing: Bool = false)
        -> (violation: InvariantViolation?, stats: CacheOperationsStats, trace: [String]) {
        guard let (profile, operations) = CacheScript.decode(data) else {
            return (nil, CacheOperationsStats(), ["skipped: reserved configuration bit"])
        }
        var trace: [String] = []
        if tracing {
            trace.append("profile: capacity \(profile.capacityBytes), maxObjectBytes \(profile.maxObjectBytes)")
        }
        let driver: CacheOperationsDriver
        do throws(InvariantViolation) {
            driver = try CacheOperationsDriver(profile: profile)
        } catch {
            return (error, CacheOperationsStats(), trace)
        }
        for (index, operation) in operations.enumerated() {
            if tracing { trace.append("step \(index + 1): \(operation)") }
            do throws(InvariantViolation) {
                try driver.run(operation)
                try driver.check(after: operation)
            } catch {
                return (InvariantViolation("step \(index + 1) (\(operation)): \(error.message)"), driver.stats, trace)
            }
        }
        do throws(InvariantViolation) {
            try driver.finish()
        } catch {
            return (InvariantViolation("end of input: \(error.message)"), driver.stats, trace)
        }
        return (nil, driver.stats, trace)
    }
}
