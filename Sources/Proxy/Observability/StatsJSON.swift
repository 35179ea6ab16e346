/// `/_stats`: the spec's JSON object (uptime_seconds, total_requests, active_connections,
/// cache, thread_pool, latency_p50_ms/p95/p99) followed by what the proxy adds: latency
/// detail, the upstream pool, connections, bytes, responses by status, errors by reason,
/// admin requests, model, sandbox, metrics switch and version. Keys keep their order.
public enum StatsJSON {
    /// - Parameter histogram: also list the latency histogram's non-zero buckets as
    ///   `[highest value in µs, count]` pairs (the dashboard computes per-second percentiles
    ///   from the difference of two reads).
    public static func render(_ s: StatsSnapshot, histogram: Bool = false) -> String {
        var o = JSONObjectWriter()
        o.int("uptime_seconds", Int(s.uptimeSeconds))
        o.int("total_requests", s.totalRequests)
        o.int("active_connections", s.activeConnections)
        o.object("cache") { c in
            c.int("size_bytes", s.cacheBytes)
            c.int("capacity_bytes", s.cacheCapacityBytes)
            c.int("shards", s.cacheShards)
            c.int("entry_count", s.cacheEntries)
            c.int("hits", s.cacheHits)
            c.int("misses", s.cacheMisses)
            c.number("hit_rate", s.cacheHitRate, digits: 3)
            c.int("revalidated", s.cacheRevalidated)
            c.int("stale", s.cacheStale)
            c.int("bypass", s.cacheBypass)
            c.int("stores", s.cacheStores)
            c.int("evictions", s.cacheEvictions)
        }
        o.object("thread_pool") { p in
            p.int("workers", s.poolWorkers)
            p.int("active", s.poolActive)
            p.int("queue_depth", s.poolQueueDepth)
            p.int("max_queue_depth", s.poolMaxQueueDepth)
        }
        o.number("latency_p50_ms", s.latencyMilliseconds(atQuantile: 0.50), digits: 3)
        o.number("latency_p95_ms", s.latencyMilliseconds(atQuantile: 0.95), digits: 3)
        o.number("latency_p99_ms", s.latencyMilliseconds(atQuantile: 0.99), digits: 3)
        o.object("latency") { l in
            l.int("count", s.latency.count)
            l.number("mean_ms", s.latency.count == 0 ? 0 : Double(s.latency.sum) / Double(s.latency.count) / 1000, digits: 3)
            l.number("p90_ms", s.latencyMilliseconds(atQuantile: 0.90), digits: 3)
            l.number("p999_ms", s.latencyMilliseconds(atQuantile: 0.999), digits: 3)
            l.number("max_ms", s.latencyMilliseconds(atQuantile: 1), digits: 3)
            l.number("precision", 1.0 / Double(LogLinearHistogram.subBuckets), digits: 5)
        }
        o.object("upstream_pool") { u in
            u.int("idle", s.upstreamIdle)
            u.int("new_connections", s.upstreamNew)
            u.int("reused", s.upstreamReused)
            u.int("closed_idle_timeout", s.upstreamClosedIdleTimeout)
            u.int("closed_by_origin", s.upstreamClosedByOrigin)
            u.int("closed_pool_full", s.upstreamClosedPoolFull)
            u.int("closed_on_exit", s.upstreamClosedOnExit)
        }
        o.object("connections") { c in
            c.int("accepted", s.acceptedConnections)
            c.int("rejected", s.rejectedConnections)
        }
        o.int("bytes_in", s.bytesFromClients)
        o.int("bytes_out", s.bytesToClients)
        o.int("completed_requests", s.completedRequests)
        o.object("responses_by_status") { r in
            for (status, count) in s.statusCounts { r.int(status == 0 ? "other" : String(status), count) }
        }
        o.object("errors_by_reason") { e in
            for (reason, count) in s.errorCounts { e.int(reason, count) }
        }
        o.object("admin_requests") { a in
            for (endpoint, count) in s.adminCounts { a.int(endpoint.rawValue, count) }
        }
        o.string("model", s.model)
        o.string("sandbox", s.sandbox)
        o.string("metrics", s.metricsEnabled ? "on" : "off")
        o.string("version", s.version)
        if histogram {
            o.int("uptime_ms", Int(s.uptimeSeconds * 1000))
            o.raw("latency_histogram_us", {
                var text = "["
                var first = true
                for (index, count) in s.latency.counts.enumerated() where count > 0 {
                    text += (first ? "" : ",") + "[\(s.latency.layout.highestValue(ofBucket: index)),\(count)]"
                    first = false
                }
                return text + "]"
            }())
        }
        return o.finish()
    }
}

/// Writes one JSON object, indented, keys in the order given. Keys and strings are our own
/// ASCII names; `string` escapes anyway.
struct JSONObjectWriter {
    private var text = "{"
    private var first = true
    private let indent: String

    init(indent: String = "  ") { self.indent = indent }

    private mutating func key(_ name: String) {
        text += (first ? "\n" : ",\n") + indent + Self.quoted(name) + ": "
        first = false
    }

    mutating func int(_ name: String, _ value: Int) {
        key(name)
        text += String(value)
    }

    mutating func number(_ name: String, _ value: Double, digits: Int) {
        key(name)
        text += Self.fixed(value, digits: digits)
    }

    mutating func string(_ name: String, _ value: String) {
        key(name)
        text += Self.quoted(value)
    }

    mutating func raw(_ name: String, _ json: String) {
        key(name)
        text += json
    }

    mutating func object(_ name: String, _ body: (inout JSONObjectWriter) -> Void) {
        key(name)
        var inner = JSONObjectWriter(indent: indent + "  ")
        body(&inner)
        text += inner.finish(closingIndent: indent)
    }

    func finish(closingIndent: String = "") -> String {
        first ? "{}" : text + "\n" + closingIndent + "}"
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where c.value < 0x20 || c.value == 0x7F:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    /// `value` with `digits` decimals, trailing zeros kept ("0.757", "12.000"); non-finite as 0.
    static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((abs(value) * scale).rounded())
        let unit = Int(scale)
        let whole = scaled / unit
        var fraction = String(scaled % unit)
        fraction = String(repeating: "0", count: max(0, digits - fraction.count)) + fraction
        let sign = value < 0 && scaled != 0 ? "-" : ""
        return digits == 0 ? sign + String(whole) : sign + String(whole) + "." + fraction
    }
}
