import SafeParse

/// Per-request metrics beside `ProxyStats`' counters, in their own shared-memory block so
/// every worker and fork child records into the same numbers: completed requests by status,
/// latency and response-size histograms, errors by reason, and the admin endpoints' own
/// requests. Every update is a relaxed atomic add; nothing takes a lock.
///
/// With `enabled` false (`--metrics off`), `recordResponse` and `countError` return at once:
/// the switch `bench/metrics-cost` measures. `ProxyStats`' counters are always kept.
public final class RequestMetrics: Sendable {
    public let enabled: Bool
    /// Latency in microseconds, up to 2^36 µs (19 hours).
    public let latency: SharedHistogram
    /// Bytes sent to the client per response (head and body as framed), up to 2^40.
    public let responseSize: SharedHistogram
    /// Index `status - 100` for 100...599; the last slot counts anything else.
    let statuses: SharedCounterArray
    let errors: SharedCounterArray
    let admin: SharedCounterArray

    public static let latencyLayout = LogLinearHistogram(maxExponent: 36)
    public static let sizeLayout = LogLinearHistogram(maxExponent: 40)

    private let block: SharedCounterBlock

    public init(enabled: Bool = true) {
        self.enabled = enabled
        let capacity = SharedHistogram.counterCount(Self.latencyLayout) + SharedHistogram.counterCount(Self.sizeLayout)
            + 501 + ErrorReason.all.count + AdminEndpoint.allCases.count
        block = SharedCounterBlock(capacity: capacity)
        latency = SharedHistogram(layout: Self.latencyLayout, block: block)
        responseSize = SharedHistogram(layout: Self.sizeLayout, block: block)
        statuses = block.nextArray(501)
        errors = block.nextArray(ErrorReason.all.count)
        admin = block.nextArray(AdminEndpoint.allCases.count)
    }

    /// One completed request: its status, the bytes sent to its client, its latency.
    @inline(__always)
    public func recordResponse(status: Int, bytes: Int, latencyNanoseconds: UInt64) {
        guard enabled else { return }
        statuses.add(1, at: (100...599).contains(status) ? status - 100 : 500)
        latency.record(Int(truncatingIfNeeded: latencyNanoseconds / 1_000))
        responseSize.record(bytes)
    }

    /// One error answered or ended by the proxy, by its reason (the `reason` of the error
    /// page: a SafeParse code, `upstream_connect_failed`, ...). Unknown reasons count as "other".
    public func countError(_ reason: String) {
        guard enabled else { return }
        errors.add(1, at: ErrorReason.index(of: reason))
    }

    /// A request answered by an admin endpoint (not in the counts by status or the histograms,
    /// so scraping does not move the numbers it reads).
    public func countAdmin(_ endpoint: AdminEndpoint) {
        admin.add(1, at: endpoint.index)
    }

    /// Completed requests by status, non-zero only, ascending; status 0 stands for "other".
    public func statusCounts() -> [(status: Int, count: Int)] {
        statuses.loadAll().enumerated().compactMap { i, n in n > 0 ? (i < 500 ? i + 100 : 0, n) : nil }
    }

    /// Errors by reason, non-zero only, in the table's order.
    public func errorCounts() -> [(reason: String, count: Int)] {
        errors.loadAll().enumerated().compactMap { i, n in n > 0 ? (ErrorReason.all[i], n) : nil }
    }

    public func adminCount(_ endpoint: AdminEndpoint) -> Int { admin.load(at: endpoint.index) }
}

/// The requests the proxy answers itself, addressed to it in origin-form (see
/// `AdminEndpoints`).
public enum AdminEndpoint: String, Sendable, CaseIterable {
    case stats = "/_stats"
    case metrics = "/metrics"
    case dashboard = "/_dashboard"
    /// The dashboard's data: `/_stats` plus the latency histogram's buckets.
    case dashboardData = "/_dashboard/data"
    /// Admin paths asked for by a client outside `--admin-allow` (answered 403).
    case denied = "denied"

    var index: Int { Self.allCases.firstIndex(of: self) ?? 0 }
}

/// The fixed table of error reasons counted in shared memory (a fork child cannot add a name
/// the parent would see, so every name is known in advance).
enum ErrorReason {
    static let all: [String] = {
        var names = [
            "client_not_allowed", "admin_not_allowed", "admin_method_not_allowed", "origin_form_not_proxied",
            "scheme_not_supported", "connect_port_denied", "loop_detected",
            "client_head_timeout", "body_idle_timeout",
            "upstream_connect_failed", "upstream_timeout", "upstream_truncated", "aborted",
            "overloaded_max_connections", "overloaded_thread_limit", "overloaded_queue_full", "overloaded_max_children",
            "overloaded_fork_failed",
        ]
        for error in ParseError.allCases {
            names.append(error.code)
            names.append("upstream_" + error.code)
        }
        names.append("other")
        return names
    }()

    static let indexes: [String: Int] = Dictionary(all.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })

    static func index(of reason: String) -> Int { indexes[reason] ?? all.count - 1 }
}
