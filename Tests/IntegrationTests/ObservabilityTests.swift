import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `/_stats`, `/metrics`, `/_dashboard` and `--log-format json` on the real binary.
@Suite("Observability")
struct ObservabilityTests {
    /// GET `path` addressed to the proxy itself (origin-form, no proxy), with curl.
    static func admin(_ h: Harness, _ path: String) throws -> (status: Int, body: String) {
        let result = try Curl.fetch("http://127.0.0.1:\(h.proxy.port)\(path)", proxyPort: nil, in: h.directory)
        let transfer = try #require(result.transfers.first, "no answer for \(path): \(result.stderr)")
        return (transfer.status, String(decoding: transfer.body, as: UTF8.self))
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    /// Samples of a Prometheus exposition: "name{labels}" -> value.
    static func samples(_ text: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = Double(parts[1]) { out[String(parts[0])] = v }
        }
        return out
    }

    @Test("Counters agree with reality: known requests, exact /_stats and /metrics", arguments: Harness.models)
    func countersAgreeWithReality(model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        // Three 200s over one connection, a 404 from the origin.
        let ok = try h.curl(["/fixed/100", "/fixed/2000", "/chunked/300"])
        #expect(ok.transfers.map(\.status) == [200, 200, 200])
        #expect(try h.curl("/status/404").transfers.map(\.status) == [404])
        // A malformed request (bare LF in the head): 400, never parsed into a request.
        let bad = try h.connect()
        try bad.send("GET http://127.0.0.1:\(h.origin.port)/fixed/1 HTTP/1.1\nHost: 127.0.0.1\r\n\r\n")
        #expect(try HTTPReader(bad).next().status == 400)
        bad.close()
        // An origin nobody listens on: 502.
        let refused = try Curl.fetch("http://127.0.0.1:1/", proxyPort: h.proxy.port, in: h.directory)
        #expect(refused.transfers.map(\.status) == [502])
        #expect(h.proxy.waitForCompleted(6), "six request_complete lines")
        let loggedBytes = h.proxy.records("request_complete").compactMap { Int($0.fields["bytes"] ?? "") }.reduce(0, +)

        let (status, body) = try Self.admin(h, "/_stats")
        #expect(status == 200)
        let stats = try Self.json(body)
        // Heads parsed: five proxied requests and this /_stats (the malformed one never had a head).
        #expect(stats["total_requests"] as? Int == 6, "\(model): \(body)")
        #expect(stats["completed_requests"] as? Int == 6)
        #expect(stats["responses_by_status"] as? [String: Int] == ["200": 3, "400": 1, "404": 1, "502": 1], "\(model): \(body)")
        #expect(stats["errors_by_reason"] as? [String: Int] == ["bare_lf": 1, "upstream_connect_failed": 1], "\(model): \(body)")
        #expect(stats["bytes_out"] as? Int == loggedBytes, "bytes out = sum of the logged bytes before this answer")
        #expect((stats["active_connections"] as? Int ?? 0) >= 1, "this connection at least")
        #expect(stats["model"] as? String == model && stats["sandbox"] as? String == "enforce")
        let latency = try #require(stats["latency"] as? [String: Any])
        #expect(latency["count"] as? Int == 6)
        let p50 = try #require(stats["latency_p50_ms"] as? Double)
        let p99 = try #require(stats["latency_p99_ms"] as? Double)
        #expect(p50 > 0 && p50 <= p99)
        // Four requests reached the origin: one new connection at least; the rest new or reused
        // (the pool's reuse across client connections depends on the model and on timing).
        let upstream = try #require(stats["upstream_pool"] as? [String: Int])
        let new = upstream["new_connections"] ?? 0, reused = upstream["reused"] ?? 0
        #expect(new >= 1 && new + reused == 4, "\(model): \(upstream)")

        let (metricsStatus, metricsText) = try Self.admin(h, "/metrics")
        #expect(metricsStatus == 200)
        let m = Self.samples(metricsText)
        #expect(m["portcullis_requests_received_total"] == 7, "the /_stats before and this /metrics")
        #expect(m["portcullis_requests_total{status=\"200\"}"] == 3)
        #expect(m["portcullis_requests_total{status=\"404\"}"] == 1)
        #expect(m["portcullis_requests_total{status=\"400\"}"] == 1)
        #expect(m["portcullis_requests_total{status=\"502\"}"] == 1)
        #expect(m["portcullis_errors_total{reason=\"bare_lf\"}"] == 1)
        #expect(m["portcullis_errors_total{reason=\"upstream_connect_failed\"}"] == 1)
        #expect(m["portcullis_admin_requests_total{endpoint=\"/_stats\"}"] == 1)
        #expect(m["portcullis_request_duration_seconds_count"] == 6)
        #expect(m["portcullis_request_duration_seconds_bucket{le=\"+Inf\"}"] == 6)
        #expect(m["portcullis_response_size_bytes_count"] == 6)
        #expect(m["portcullis_response_size_bytes_sum"].map { Int($0) } == loggedBytes)
        #expect(m["portcullis_upstream_connections_total{kind=\"new\"}"] == Double(new))
        #expect(m["portcullis_upstream_connections_total{kind=\"reused\"}"] == Double(reused))
        #expect(m["portcullis_info{version=\"0.1.0\",model=\"\(model)\",sandbox=\"enforce\",metrics=\"on\"}"] == 1)
    }

    @Test("Cache and pool counters agree with reality, and a cache hit's latency is measured (not 0)",
          arguments: Harness.models)
    func cacheCountersAndHitLatency(model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        // One miss that is stored, then five hits (fork: each from its own child); one response
        // the origin marks no-store (a miss, never stored).
        let path = "/cacheable/700?cc=max-age%3D60"
        #expect(try CacheTests.fetch(h, path).value("X-Proxy-Cache") == "MISS")
        for _ in 0..<5 { #expect(try CacheTests.fetch(h, path).value("X-Proxy-Cache") == "HIT") }
        #expect(try CacheTests.fetch(h, "/cacheable/300?cc=no-store").value("X-Proxy-Cache") == "MISS")
        #expect(try h.origin.counts().requests == 2)
        #expect(h.proxy.waitForCompleted(7))

        let stats = try Self.json(try Self.admin(h, "/_stats").body)
        let cache = try #require(stats["cache"] as? [String: Any], "\(model): \(stats)")
        #expect(cache["hits"] as? Int == 5 && cache["misses"] as? Int == 2, "\(model): \(cache)")
        #expect(cache["hit_rate"] as? Double == 0.714, "5 of 7: \(cache)")
        #expect(cache["entry_count"] as? Int == 1 && cache["stores"] as? Int == 1, "\(model): \(cache)")
        // The entry holds at least its 700-byte body (plus its head and index metadata).
        #expect((cache["size_bytes"] as? Int ?? 0) >= 700, "\(model): \(cache)")
        #expect(cache["revalidated"] as? Int == 0 && cache["stale"] as? Int == 0 && cache["evictions"] as? Int == 0)
        // At rest: nothing queued; the only busy worker is the one answering this request.
        let pool = try #require(stats["thread_pool"] as? [String: Int])
        #expect(pool["queue_depth"] == 0 && (pool["active"] ?? -1) >= 0 && (pool["active"] ?? 99) <= 1, "\(model): \(pool)")
        // Six of the seven requests were answered from memory within the event that brought
        // them; their time is still the work it took, at least 1 µs, never a flat 0.
        let latency = try #require(stats["latency"] as? [String: Any])
        #expect(latency["count"] as? Int == 7)
        let p50 = try #require(stats["latency_p50_ms"] as? Double)
        #expect(p50 > 0, "\(model): a hit's latency reads as 0: \(latency)")

        let m = Self.samples(try Self.admin(h, "/metrics").body)
        #expect(m["portcullis_cache_requests_total{result=\"hit\"}"] == 5, "\(model)")
        #expect(m["portcullis_cache_requests_total{result=\"miss\"}"] == 2, "\(model)")
        #expect(m["portcullis_cache_entries"] == 1)
        #expect(m["portcullis_cache_bytes"] == Double(cache["size_bytes"] as? Int ?? -1))
        #expect(m["portcullis_queue_depth"] == 0)
    }

    @Test("thread_pool in the pool model: workers, busy workers and queue exactly")
    func poolGaugesExact() throws {
        let h = try Harness(model: "pool", options: ["-t", "4", "--queue-capacity", "16"])
        defer { h.finish() }
        // Two kept-alive clients, each after one request: each holds a worker.
        let held = try (0..<2).map { _ in try h.connect() }
        defer { held.forEach { $0.close() } }
        for client in held {
            try client.send(h.get("/fixed/10"))
            #expect(try HTTPReader(client).next().status == 200)
        }
        let stats = try Self.json(try Self.admin(h, "/_stats").body)
        let pool = try #require(stats["thread_pool"] as? [String: Int])
        // The two held connections and this /_stats request's own.
        #expect(pool == ["workers": 4, "active": 3, "queue_depth": 0, "max_queue_depth": 16], "\(pool)")
    }

    @Test("--admin-allow: a client outside it gets 403 from the endpoints, and proxying goes on (every model)",
          arguments: Harness.models)
    func adminAllow(model: String) throws {
        let h = try Harness(model: model, options: ["--admin-allow", "10.9.0.0/16"])
        defer { h.finish() }
        for path in ["/_stats", "/metrics", "/_dashboard"] {
            let (status, body) = try Self.admin(h, path)
            #expect(status == 403 && !body.contains("total_requests") && !body.contains("portcullis_"), "\(path): \(status)")
        }
        #expect(try h.curl("/fixed/10").transfers.map(\.status) == [200])
        #expect(h.proxy.waitForLog { $0.contains("] admin_denied path=/_stats client=127.0.0.1:") })
    }

    @Test("--metrics off: requests are served, the per-request metrics stay empty (every model)", arguments: Harness.models)
    func metricsOff(model: String) throws {
        let h = try Harness(model: model, options: ["--metrics", "off"])
        defer { h.finish() }
        #expect(try h.curl(["/fixed/10", "/fixed/20"]).transfers.map(\.status) == [200, 200])
        let stats = try Self.json(try Self.admin(h, "/_stats").body)
        #expect(stats["metrics"] as? String == "off")
        #expect(stats["total_requests"] as? Int == 3)
        #expect(stats["responses_by_status"] as? [String: Int] == [:])
    }

    @Test("--log-format json: one JSON object per line with the text lines' fields", arguments: ["epoll", "fork"])
    func jsonLog(model: String) throws {
        let h = try Harness(model: model, options: ["--log-format", "json"])
        defer { h.finish() }
        #expect(try h.curl(["/fixed/10", "/status/404"]).transfers.map(\.status) == [200, 404])
        let bad = try h.connect()
        try bad.send("GET http://127.0.0.1:\(h.origin.port)/\u{7F}x HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try HTTPReader(bad).next()
        bad.close()
        #expect(h.proxy.waitForCompleted(3))
        let lines = h.proxy.logLines
        #expect(lines.allSatisfy { $0.parsed != nil }, "not JSON: \(lines.filter { $0.parsed == nil }.map(\.text).prefix(3))")
        // Event loops flush their lines independently: the order across connections may vary.
        let complete = h.proxy.records("request_complete")
        #expect(complete.compactMap { $0.fields["status"] }.sorted() == ["200", "400", "404"])
        #expect(complete.allSatisfy { Array($0.keys.prefix(4)) == ["status", "bytes", "latency_ms", "cache"] })
        #expect(h.proxy.records("request_start").first?.fields["method"] == "GET")
        #expect(h.proxy.log.contains("\"event\":\"Configuration:\""))
    }

    static let prometheusParser: Bool = {
        guard let child = try? ChildProcess("python3", ["-c", "import prometheus_client.parser"], environment: ChildEnvironment.minimal()) else {
            return false
        }
        return child.wait(seconds: 30) == .status(0)
    }()

    @Test("/metrics parses with the Prometheus client library's own parser",
          .enabled(if: prometheusParser, "needs Debian's python3-prometheus-client"))
    func metricsParseWithPrometheusClient() throws {
        let h = try Harness(model: "fork")
        defer { h.finish() }
        #expect(try h.curl(["/fixed/10", "/status/404"]).transfers.map(\.status) == [200, 404])
        let (status, text) = try Self.admin(h, "/metrics")
        #expect(status == 200)
        let file = h.directory.file("metrics.txt")
        try Data(text.utf8).write(to: file)
        let script = """
        import sys
        from prometheus_client.parser import text_string_to_metric_families
        for f in text_string_to_metric_families(open(sys.argv[1]).read()):
            for s in f.samples:
                print(f.type, s.name, ",".join("%s=%s" % kv for kv in sorted(s.labels.items())), s.value)
        """
        let out = try h.directory.create("parsed.txt")
        defer { close(out) }
        let err = try h.directory.create("parse.err")
        defer { close(err) }
        let child = try ChildProcess("python3", ["-c", script, file.path], environment: ChildEnvironment.minimal(), stdout: out, stderr: err)
        #expect(child.wait(seconds: 30) == .status(0), "parser failed: \(Files.readText(h.directory.file("parse.err").path))")
        let parsed = Set(Files.readText(h.directory.file("parsed.txt").path).split(separator: "\n").map(String.init))
        #expect(parsed.contains("counter portcullis_requests_total status=200 1.0"))
        #expect(parsed.contains("counter portcullis_requests_total status=404 1.0"))
        #expect(parsed.contains("histogram portcullis_request_duration_seconds_count  2.0"))
        #expect(parsed.contains("histogram portcullis_request_duration_seconds_bucket le=+Inf 2.0"))
        #expect(parsed.contains("histogram portcullis_response_size_bytes_count  2.0"))
        #expect(parsed.contains("gauge portcullis_info metrics=on,model=fork,sandbox=enforce,version=0.1.0 1.0"))
    }

    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test("The dashboard in headless Chromium shows live numbers under load; screenshot saved",
          .enabled(if: chromium != nil, "needs Debian's chromium"), .timeLimit(.minutes(4)))
    func dashboardInChromium() throws {
        let h = try Harness(model: "pool", options: ["-t", "4"])
        defer { h.finish() }
        // A little bounded load: two keep-alive clients (reconnecting if a connection ends)
        // until both browser runs are done, at most 170 s; a loaded CI machine can take
        // tens of seconds to start Chromium.
        let stop = StopFlag()
        let served = LockedCounter()
        let port = h.proxy.port, originPort = h.origin.port
        let load = (0..<2).map { _ in
            Thread {
                let deadline = Clock.nowMs() + 170_000
                var i = 0
                while !stop.isSet && Clock.nowMs() < deadline {
                    guard let client = try? TCPClient(port: port) else { usleep(50_000); continue }
                    defer { client.close() }
                    let reader = HTTPReader(client)
                    while !stop.isSet && Clock.nowMs() < deadline {
                        // Some cacheable (hits after the first of each), some errors, the rest forwarded.
                        let path = i % 10 == 9 ? "/status/404"
                            : i % 3 == 0 ? "/cacheable/500?cc=max-age%3D600&n=\(i % 5)" : "/fixed/\(100 + i % 900)"
                        guard (try? client.send("GET http://127.0.0.1:\(originPort)\(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) != nil,
                              (try? reader.next()) != nil else { break }
                        served.add()
                        i += 1
                        usleep(1_000)
                    }
                }
            }
        }
        load.forEach { $0.start() }
        defer { stop.set() }
        let warm = Clock.nowMs() + 60_000
        while served.value < 20 && Clock.nowMs() < warm { usleep(10_000) }
        try #require(served.value >= 20, "the load got \(served.value) answers in 60 s")

        let url = "http://127.0.0.1:\(port)/_dashboard"
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                      "--user-data-dir=\(h.directory.file("chromium-profile").path)", "--window-size=1400,900",
                      "--virtual-time-budget=6000"]
        let browserStart = Clock.nowMs(), servedBefore = served.value
        let dom = try Self.runChromium(common + ["--dump-dom", url], in: h.directory, name: "dom")
        let domDone = Clock.nowMs()
        let screenshot = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-dashboard-\(getpid()).png")
        try? FileManager.default.removeItem(at: screenshot)
        _ = try Self.runChromium(common + ["--screenshot=\(screenshot.path)", url], in: h.directory, name: "shot")
        stop.set()
        print("dashboard: chromium --dump-dom \(domDone - browserStart) ms, --screenshot \(Clock.nowMs() - domDone) ms; "
              + "\(served.value - servedBefore) proxied answers meanwhile")

        func value(_ id: String) -> String? {
            guard let r = dom.range(of: "id=\"\(id)\">") else { return nil }
            return String(dom[r.upperBound...].prefix { $0 != "<" })
        }
        let updates = dom.range(of: "data-updates=\"").map { Int(dom[$0.upperBound...].prefix { $0.isNumber }) ?? 0 } ?? 0
        #expect(updates >= 3, "the page refreshed at least three times (data-updates=\(updates))")
        let total = Double(value("v-total") ?? "") ?? 0
        #expect(total >= 20, "total requests shown: \(value("v-total") ?? "none")")
        #expect(Double(value("v-rps") ?? "") != nil, "requests/s shown: \(value("v-rps") ?? "none")")
        #expect(Double(value("v-p50") ?? "") != nil && Double(value("v-p99") ?? "") != nil, "latency shown: \(value("v-p50") ?? "none")")
        #expect(Double(value("v-conn") ?? "").map { $0 >= 1 } == true)
        #expect(dom.contains("model pool"))
        // The charts plotted live points: requests/s and latency above zero at some point of the
        // window (under virtual time the page polls a few milliseconds apart in real time, so
        // the newest interval alone may hold no completed request), active connections now.
        func canvas(_ id: String, _ attribute: String) -> String? {
            guard let start = dom.range(of: "<canvas id=\"\(id)\"") else { return nil }
            let tag = dom[start.lowerBound...].prefix { $0 != ">" }
            guard let r = tag.range(of: "\(attribute)=\"") else { return nil }
            return String(tag[r.upperBound...].prefix { $0 != "\"" })
        }
        for id in ["c-rps", "c-lat", "c-cache", "c-conn", "c-pool", "c-up"] {
            #expect((Int(canvas(id, "data-points") ?? "") ?? 0) >= 3, "\(id) plotted \(canvas(id, "data-points") ?? "nothing")")
        }
        #expect((Double(canvas("c-rps", "data-peak") ?? "") ?? 0) > 0, "requests/s chart: \(canvas("c-rps", "data-peak") ?? "none")")
        #expect((Double(canvas("c-lat", "data-peak") ?? "") ?? 0) > 0, "p50 chart: \(canvas("c-lat", "data-peak") ?? "none")")
        #expect((Double(canvas("c-conn", "data-last") ?? "") ?? 0) >= 1)
        #expect((Double(canvas("c-cache", "data-peak") ?? "") ?? 0) > 0, "hit-rate chart: \(canvas("c-cache", "data-peak") ?? "none")")
        // The screenshot: a real PNG of some size.
        let png = try #require(Files.read(screenshot.path), "no screenshot at \(screenshot.path)")
        #expect(png.count > 20_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        print("dashboard screenshot: \(screenshot.path)")
        // The page asked for nothing but itself and its data.
        let paths = Set(h.proxy.records("request_start").compactMap { $0.fields["uri"] }.filter { $0.hasPrefix("/") })
        #expect(paths.isSubset(of: ["/_dashboard", "/_dashboard/data"]), "other requests from the page: \(paths)")
    }

    /// Runs chromium (bounded: 60 s) and returns its stdout.
    static func runChromium(_ arguments: [String], in directory: TemporaryDirectory, name: String) throws -> String {
        let out = try directory.create("chromium-\(name).out")
        defer { close(out) }
        let err = try directory.create("chromium-\(name).err")
        defer { close(err) }
        let child = try ChildProcess(try #require(chromium), arguments, environment: ChildEnvironment.minimal(), stdout: out, stderr: err)
        if child.wait(seconds: 60) == nil {
            child.kill9()
            throw HarnessError("chromium did not finish in 60 s")
        }
        return Files.readText(directory.file("chromium-\(name).out").path)
    }
}

final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
