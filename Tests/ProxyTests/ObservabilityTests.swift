import Foundation
import Testing
import Proxy
import SafeParse

@Suite struct LogLinearHistogramTests {
    let layout = LogLinearHistogram(maxExponent: 36)

    /// Every value lands in a bucket whose range holds it, buckets are ordered, and a bucket is
    /// at most 1/32 of its lowest value wide (exact below 64).
    @Test func everyValueLiesInItsBucketWithinThePrecision() {
        var values = Array(0..<(1 << 16))
        for e in 16..<36 { values += [(1 << e) - 1, 1 << e, (1 << e) + 1, (1 << e) + (1 << (e - 1)) + 7] }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<10_000 { values.append(Int.random(in: 0..<(1 << 36), using: &rng)) }
        var previous = -1
        var bad: [Int] = []
        for v in values.sorted() {
            let b = layout.bucket(of: v)
            let low = layout.lowestValue(ofBucket: b), high = layout.highestValue(ofBucket: b)
            if !(low <= v && v <= high) || b < previous { bad.append(v) }
            if v < 64 && low != high { bad.append(v) }
            if v >= 64 && Double(high - low + 1) > Double(low) / 32 { bad.append(v) }
            previous = b
        }
        #expect(bad.isEmpty, "values outside their bucket or too wide a bucket: \(bad.prefix(10))")
        #expect(layout.bucket(of: -5) == 0)
        #expect(layout.bucket(of: Int.max) == layout.bucketCount - 1, "values past 2^36 are clamped into the last bucket")
        #expect(layout.bucketCount == 1024)
        #expect(LogLinearHistogram(maxExponent: 40).bucketCount == 1152)
    }

    @Test func bucketsTileTheRangeWithoutGaps() {
        for b in 0..<(layout.bucketCount - 1) {
            #expect(layout.highestValue(ofBucket: b) + 1 == layout.lowestValue(ofBucket: b + 1))
        }
    }

    @Test func percentilesOfAKnownDistribution() {
        var counts = [Int](repeating: 0, count: layout.bucketCount)
        for v in 1...10_000 { counts[layout.bucket(of: v)] += 1 }
        for (q, exact) in [(0.5, 5_000), (0.95, 9_500), (0.99, 9_900), (1.0, 10_000)] {
            let got = layout.value(atQuantile: q, counts: counts) ?? -1
            #expect(got >= exact && Double(got) <= Double(exact) * (1 + 1.0 / 32), "q=\(q): \(got) for \(exact)")
        }
        #expect(layout.value(atQuantile: 0.5, counts: [Int](repeating: 0, count: layout.bucketCount)) == nil)
        // Exact at bucket ends: 63, and 2^k - 1.
        #expect(layout.count(atOrBelow: 63, counts: counts) == 63)
        #expect(layout.count(atOrBelow: 1023, counts: counts) == 1023)
        #expect(layout.count(atOrBelow: 8191, counts: counts) == 8191)
    }

    @Test func sharedHistogramRecordsFromManyThreads() async {
        let metrics = RequestMetrics()
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<4 {
                group.addTask {
                    for i in 0..<5_000 { metrics.recordResponse(status: 200 + t, bytes: i, latencyNanoseconds: UInt64(i) * 1_000) }
                }
            }
        }
        let latency = metrics.latency.snapshot()
        #expect(latency.count == 20_000 && latency.counts.reduce(0, +) == 20_000)
        #expect(latency.sum == 4 * (0..<5_000).reduce(0, +))
        #expect(metrics.statusCounts().map(\.status) == [200, 201, 202, 203])
        #expect(metrics.statusCounts().allSatisfy { $0.count == 5_000 })
    }

    @Test func metricsOffRecordsNothing() {
        let metrics = RequestMetrics(enabled: false)
        metrics.recordResponse(status: 200, bytes: 10, latencyNanoseconds: 1_000_000)
        metrics.countError("upstream_connect_failed")
        #expect(metrics.latency.snapshot().count == 0 && metrics.statusCounts().isEmpty && metrics.errorCounts().isEmpty)
    }

    @Test func errorReasonsFromTheTableAndOther() {
        let metrics = RequestMetrics()
        metrics.countError("upstream_connect_failed")
        metrics.countError(ParseError.bareLF.code)
        metrics.countError("upstream_" + ParseError.invalidStatusLine.code)
        metrics.countError("something_new")
        let counts = Dictionary(uniqueKeysWithValues: metrics.errorCounts().map { ($0.reason, $0.count) })
        #expect(counts == ["upstream_connect_failed": 1, "bare_lf": 1, "upstream_invalid_status_line": 1, "other": 1])
    }
}

@Suite struct LogJSONTests {
    @Test func oneObjectPerLineWithTheTextLinesFields() throws {
        let record = LogRecord(.info, "request_start", [
            ("method", .bytes(Array("GET".utf8))), ("uri", .bytes([0x2F, 0x22, 0x5C, 0x0A, 0xFF, 0x01])), ("status", .int(200)),
            ("client", .text("127.0.0.1:5000")),
        ])
        var out: [UInt8] = []
        LogJSON.appendLine(record, thread: "loop-1", timestamp: "2024-01-15T10:00:15.123Z", to: &out)
        #expect(out.last == 0x0A && out.dropLast().allSatisfy { $0 != 0x0A && $0 < 0x80 }, "one ASCII line")
        let text = String(decoding: out, as: UTF8.self)
        #expect(text == #"{"ts":"2024-01-15T10:00:15.123Z","level":"INFO","thread":"loop-1","event":"request_start","method":"GET","uri":"/\"\\\n\u00ff\u0001","status":200,"client":"127.0.0.1:5000"}"# + "\n")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
        #expect(object["uri"] as? String == "/\"\\\n\u{FF}\u{01}")
        #expect(object["status"] as? Int == 200)
    }
}

@Suite struct AdminEndpointTests {
    static let loopback = SocketAddress.v4(address: 0x7F00_0001, port: 40000)
    static let lan = SocketAddress.v4(address: 0x0A00_0005, port: 40000)

    func harness(client: SocketAddress = loopback) -> MachineHarness {
        MachineHarness(config: MachineHarness.config { $0.allow = [CIDR("0.0.0.0/0")!] }, client: client)
    }

    @Test func statsForALoopbackClientAndTheConnectionGoesOn() throws {
        var h = harness()
        h.client("GET /_stats HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(h.toClient.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"))
        #expect(h.connects.isEmpty && !h.clientClosed)
        let body = try #require(h.toClient.components(separatedBy: "\r\n\r\n").last)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        for key in ["uptime_seconds", "total_requests", "active_connections", "cache", "thread_pool", "latency_p50_ms",
                    "latency_p95_ms", "latency_p99_ms", "upstream_pool", "responses_by_status", "errors_by_reason",
                    "bytes_in", "bytes_out", "model", "sandbox"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        #expect(json["total_requests"] as? Int == 1)
        #expect(json["sandbox"] as? String == "enforce") // the default mode
        let cache = try #require(json["cache"] as? [String: Any])
        #expect(Set(cache.keys).isSuperset(of: ["size_bytes", "entry_count", "hits", "misses", "hit_rate"]))
        let pool = try #require(json["thread_pool"] as? [String: Any])
        #expect(Set(pool.keys) == ["workers", "active", "queue_depth", "max_queue_depth"])
        // Keep-alive: the next request on the connection is served.
        h.client("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(h.toClient.contains("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
        #expect(h.toClient.contains("portcullis_admin_requests_total{endpoint=\"/_stats\"} 1\n"))
        #expect(h.completedStatuses == [200, 200])
        #expect(h.machine.engine.metrics.statusCounts().isEmpty, "admin answers stay out of the counts by status")
    }

    @Test func aClientOutsideAdminAllowGets403() {
        var h = harness(client: Self.lan)
        h.client("GET /_stats HTTP/1.1\r\nHost: proxy\r\n\r\n")
        #expect(h.toClient.hasPrefix("HTTP/1.1 403 Forbidden\r\n"))
        #expect(!h.toClient.contains("total_requests"))
        #expect(h.machine.engine.metrics.adminCount(.denied) == 1)
        #expect(h.machine.engine.metrics.errorCounts().map(\.reason) == ["admin_not_allowed"])
        #expect(h.machine.engine.metrics.statusCounts().map(\.status) == [403])
    }

    @Test func adminAllowAdmitsOtherBlocks() {
        var h = MachineHarness(config: MachineHarness.config {
            $0.allow = [CIDR("0.0.0.0/0")!]
            $0.adminAllow = [CIDR("10.0.0.0/8")!]
        }, client: Self.lan)
        h.client("GET /_dashboard HTTP/1.1\r\nHost: proxy\r\n\r\n")
        #expect(h.toClient.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"))
        #expect(h.toClient.contains("Content-Security-Policy: default-src 'none'"))
        #expect(!h.toClient.contains("http://") && !h.toClient.contains("https://"), "nothing from elsewhere")
    }

    @Test func otherPathsAndMethods() {
        var h = harness()
        h.client("GET /other HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(h.toClient.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "other origin-form paths keep the 400")
        var post = harness()
        post.client("POST /_stats HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nhi")
        #expect(post.toClient.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n") && post.toClient.contains("Allow: GET, HEAD\r\n"))
        #expect(post.clientClosed, "a request with a body closes after the refusal")
        var head = harness()
        head.client("HEAD /_stats?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(head.toClient.hasPrefix("HTTP/1.1 200 OK\r\n") && head.toClient.hasSuffix("\r\n\r\n"), "HEAD: no body")
    }

    @Test func prometheusExpositionIsWellFormed() throws {
        var h = harness()
        h.client("GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n")
        h.connectFailed(.connect("refused"))
        h.client("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let body = try #require(h.toClient.components(separatedBy: "\r\n\r\n").last)
        var typed: [String: String] = [:]
        var helped: Set<String> = []
        var buckets: [String: [Int]] = [:]
        for line in body.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("# HELP ") { helped.insert(String(line.split(separator: " ")[2])); continue }
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                typed[String(parts[2])] = String(parts[3])
                continue
            }
            let sample = line.split(separator: " ")
            #expect(sample.count == 2 && Double(sample[1]) != nil, "bad sample line \(line)")
            let name = String(sample[0].prefix { $0 != "{" })
            #expect(name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && name.hasPrefix("portcullis_"), "bad name \(name)")
            let family = typed[name] != nil ? name
                : [name.replacingOccurrences(of: "_bucket", with: ""), name.replacingOccurrences(of: "_sum", with: ""),
                   name.replacingOccurrences(of: "_count", with: "")].first { typed[$0] == "histogram" } ?? ""
            #expect(typed[family] != nil && helped.contains(family), "sample \(name) without HELP and TYPE")
            if name.hasSuffix("_bucket") { buckets[name, default: []].append(Int(sample[1]) ?? -1) }
        }
        #expect(body.contains("portcullis_requests_total{status=\"502\"} 1\n"))
        #expect(body.contains("portcullis_errors_total{reason=\"upstream_connect_failed\"} 1\n"))
        #expect(body.contains("portcullis_request_duration_seconds_count 1\n"))
        for (name, counts) in buckets {
            #expect(counts == counts.sorted(), "\(name) buckets are cumulative")
            #expect(counts.last == 1, "\(name) +Inf holds every observation")
        }
        #expect(typed["portcullis_request_duration_seconds"] == "histogram" && typed["portcullis_response_size_bytes"] == "histogram")
    }
}

@Suite struct ObservabilityOptionTests {
    private func config(_ args: [String]) throws -> ProxyConfiguration {
        guard case .run(let box) = try Proxy.CommandLine.parse(args) else { return ProxyConfiguration() }
        return box.config
    }

    @Test func defaultsAndOptions() throws {
        let d = try config([])
        #expect(d.adminAllow.map(\.description) == ["127.0.0.0/8", "::1/128"] && d.metricsEnabled && d.logFormat == .text)
        #expect(d.sandboxMode == "enforce")
        let c = try config(["--admin-allow", "10.0.0.0/8", "--admin-allow", "::1", "--metrics", "off", "--log-format", "json"])
        #expect(c.adminAllow.map(\.description) == ["10.0.0.0/8", "::1/128"])
        #expect(!c.metricsEnabled && c.logFormat == .json)
    }

    @Test(arguments: [
        (["--log-format", "xml"], "unknown log format 'xml': expected text or json"),
        (["--metrics", "maybe"], "invalid value 'maybe' for --metrics: expected on or off"),
        (["--admin-allow", "nope"], "invalid CIDR 'nope' for --admin-allow"),
    ])
    func invalidValues(args: [String], message: String) {
        do {
            _ = try Proxy.CommandLine.parse(args)
            Issue.record("accepted \(args)")
        } catch {
            #expect(error.message == message)
        }
    }
}
