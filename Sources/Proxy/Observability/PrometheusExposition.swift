/// `/metrics`: the Prometheus text exposition format (version 0.0.4), written by hand over
/// the shared counters. Names follow the Prometheus conventions: a `portcullis_` prefix, base
/// units (seconds, bytes), `_total` on counters, labels for what varies.
///
/// Why not swift-metrics with swift-prometheus: their counters and histograms are objects in
/// one process's heap. In the fork model every connection is served by a child process, so
/// what a child counts there dies with it and the parent (which answers nothing itself, and
/// whose children answer `/metrics`) would never see it. Our counters live in one MAP_SHARED
/// block that every process updates with relaxed atomic adds; rendering them is this file.
public enum PrometheusExposition {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Latency buckets' upper bounds: seconds as printed, and microseconds.
    static let latencyBounds: [(label: String, micros: Int)] = [
        ("0.0001", 100), ("0.00025", 250), ("0.0005", 500), ("0.001", 1_000), ("0.0025", 2_500), ("0.005", 5_000),
        ("0.01", 10_000), ("0.025", 25_000), ("0.05", 50_000), ("0.1", 100_000), ("0.25", 250_000),
        ("0.5", 500_000), ("1", 1_000_000), ("2.5", 2_500_000), ("5", 5_000_000), ("10", 10_000_000),
    ]
    /// Response size buckets' upper bounds in bytes.
    static let sizeBounds: [Int] = [256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864]

    public static func render(_ s: StatsSnapshot) -> String {
        var w = Writer()
        w.metric("portcullis_info", "gauge", "Build and configuration of this proxy.",
                 [("{version=\"\(esc(s.version))\",model=\"\(esc(s.model))\",sandbox=\"\(esc(s.sandbox))\",metrics=\"\(s.metricsEnabled ? "on" : "off")\"}", "1")])
        w.metric("portcullis_uptime_seconds", "gauge", "Seconds since the proxy started.",
                 [("", JSONObjectWriter.fixed(s.uptimeSeconds, digits: 3))])
        w.metric("portcullis_requests_received_total", "counter",
                 "Request heads parsed: proxied, refused and admin requests (the total_requests of /_stats).",
                 [("", String(s.totalRequests))])
        w.metric("portcullis_requests_total", "counter",
                 "Completed requests by the status sent to the client (admin endpoint answers excluded).",
                 s.statusCounts.map { ("{status=\"\($0.status == 0 ? "other" : String($0.status))\"}", String($0.count)) })
        w.metric("portcullis_errors_total", "counter", "Requests the proxy answered with an error or ended, by reason.",
                 s.errorCounts.map { ("{reason=\"\(esc($0.reason))\"}", String($0.count)) })
        w.metric("portcullis_admin_requests_total", "counter", "Requests to the admin endpoints.",
                 s.adminCounts.map { ("{endpoint=\"\(esc($0.endpoint.rawValue))\"}", String($0.count)) })

        w.header("portcullis_request_duration_seconds", "histogram",
                 "Time from a request head to its last response byte handed to the socket (log-linear buckets, 3.2% precision).")
        for (label, micros) in latencyBounds {
            w.sample("portcullis_request_duration_seconds_bucket{le=\"\(label)\"}", String(s.latency.count(atOrBelow: micros)))
        }
        w.sample("portcullis_request_duration_seconds_bucket{le=\"+Inf\"}", String(s.latency.counts.reduce(0, +)))
        w.sample("portcullis_request_duration_seconds_sum", JSONObjectWriter.fixed(Double(s.latency.sum) / 1e6, digits: 6))
        w.sample("portcullis_request_duration_seconds_count", String(s.latency.counts.reduce(0, +)))

        w.header("portcullis_response_size_bytes", "histogram", "Bytes sent to the client per response, head and framing included.")
        for bound in sizeBounds {
            w.sample("portcullis_response_size_bytes_bucket{le=\"\(bound)\"}", String(s.responseSize.count(atOrBelow: bound)))
        }
        w.sample("portcullis_response_size_bytes_bucket{le=\"+Inf\"}", String(s.responseSize.counts.reduce(0, +)))
        w.sample("portcullis_response_size_bytes_sum", String(s.responseSize.sum))
        w.sample("portcullis_response_size_bytes_count", String(s.responseSize.counts.reduce(0, +)))

        w.metric("portcullis_active_connections", "gauge", "Client connections open now.", [("", String(s.activeConnections))])
        w.metric("portcullis_connections_accepted_total", "counter", "Client connections accepted.", [("", String(s.acceptedConnections))])
        w.metric("portcullis_connections_rejected_total", "counter", "Client connections turned away with 503 (over capacity).",
                 [("", String(s.rejectedConnections))])
        w.metric("portcullis_client_received_bytes_total", "counter", "Bytes read from clients.", [("", String(s.bytesFromClients))])
        w.metric("portcullis_client_sent_bytes_total", "counter", "Bytes sent to clients.", [("", String(s.bytesToClients))])

        w.metric("portcullis_workers", "gauge", "Workers of the concurrency model (pool threads, event loops, threads or children).",
                 [("", String(s.poolWorkers))])
        w.metric("portcullis_workers_active", "gauge", "Workers serving a connection now.", [("", String(s.poolActive))])
        w.metric("portcullis_queue_depth", "gauge", "Accepted connections waiting for a pool worker.", [("", String(s.poolQueueDepth))])
        w.metric("portcullis_queue_capacity", "gauge", "Most connections the pool queue holds.", [("", String(s.poolMaxQueueDepth))])

        w.metric("portcullis_cache_bytes", "gauge", "Bytes held by the response cache.", [("", String(s.cacheBytes))])
        w.metric("portcullis_cache_entries", "gauge", "Responses held by the cache.", [("", String(s.cacheEntries))])
        w.metric("portcullis_cache_capacity_bytes", "gauge", "Size of the cache arena (-m).", [("", String(s.cacheCapacityBytes))])
        w.metric("portcullis_cache_shards", "gauge", "Shards of the cache arena, each with its own lock and LRU.", [("", String(s.cacheShards))])
        w.metric("portcullis_cache_requests_total", "counter", "Requests by cache outcome.", [
            ("{result=\"hit\"}", String(s.cacheHits)), ("{result=\"revalidated\"}", String(s.cacheRevalidated)),
            ("{result=\"stale\"}", String(s.cacheStale)), ("{result=\"miss\"}", String(s.cacheMisses)),
            ("{result=\"bypass\"}", String(s.cacheBypass)),
        ])
        w.metric("portcullis_cache_stores_total", "counter", "Responses stored in the cache.", [("", String(s.cacheStores))])
        w.metric("portcullis_cache_evictions_total", "counter", "Cache entries evicted to make room.", [("", String(s.cacheEvictions))])

        w.metric("portcullis_upstream_connections_total", "counter", "Origin connections used for a request: opened or reused.",
                 [("{kind=\"new\"}", String(s.upstreamNew)), ("{kind=\"reused\"}", String(s.upstreamReused))])
        w.metric("portcullis_upstream_idle_connections", "gauge", "Idle origin connections in the pool now.", [("", String(s.upstreamIdle))])
        w.metric("portcullis_upstream_closed_total", "counter", "Pooled origin connections closed, by reason.", [
            ("{reason=\"idle_timeout\"}", String(s.upstreamClosedIdleTimeout)),
            ("{reason=\"closed_by_origin\"}", String(s.upstreamClosedByOrigin)),
            ("{reason=\"pool_full\"}", String(s.upstreamClosedPoolFull)),
            ("{reason=\"on_exit\"}", String(s.upstreamClosedOnExit)),
        ])
        return w.text
    }

    /// A label value escaped as the format asks (backslash, double quote, newline).
    static func esc(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    struct Writer {
        var text = ""

        mutating func header(_ name: String, _ type: String, _ help: String) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }

        mutating func sample(_ nameAndLabels: String, _ value: String) {
            text += nameAndLabels + " " + value + "\n"
        }

        /// A metric with its samples: `labels` is "" or `{k="v",...}`.
        mutating func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            header(name, type, help)
            for sample in samples { self.sample(name + sample.labels, sample.value) }
        }
    }
}
