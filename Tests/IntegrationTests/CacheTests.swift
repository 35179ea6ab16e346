import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The shared cache end to end: the real proxy, the counting test origin and real clients.
@Suite("Cache")
struct CacheTests {
    /// One GET on its own connection; the response as the client read it.
    static func fetch(_ h: Harness, _ path: String, extra: [String] = [], head: Bool = false) throws -> HTTPResponse {
        let client = try h.connect()
        defer { client.close() }
        var request = h.get(path, extra: extra)
        if head { request = "HEAD" + request.dropFirst(3) }
        try client.send(request)
        return try HTTPReader(client).next(head: head)
    }

    @Test("A second request is answered from the cache, not seen by the origin (every model; fork: by another child)",
          arguments: Harness.models)
    func secondRequestIsAHit(_ model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        let path = "/cacheable/5000?cc=max-age%3D60"
        let first = try Self.fetch(h, path)
        #expect(first.status == 200 && first.value("X-Proxy-Cache") == "MISS")
        #expect(BodyPattern.firstMismatch(first.body, expected: 5000) == nil)
        let second = try Self.fetch(h, path)
        #expect(second.status == 200 && second.value("X-Proxy-Cache") == "HIT", "\(second.rawHead)")
        #expect(BodyPattern.firstMismatch(second.body, expected: 5000) == nil)
        #expect(second.value("Age").flatMap { Int($0) }.map { (0...5).contains($0) } == true, "\(second.rawHead)")
        #expect(second.value("Date") == first.value("Date"))
        #expect(second.values("X-Hop-Test").isEmpty && second.values("Keep-Alive").isEmpty)
        #expect(try h.origin.counts().requests == 1)
        #expect(h.proxy.waitForCompleted(2))
        let caches = h.proxy.records("request_complete").compactMap { $0.fields["cache"] }
        // Event loops flush their log lines independently: the order in the file is not the
        // order of completion.
        #expect(caches.sorted() == ["HIT", "MISS"])
        if model == "fork" {
            let threads = h.proxy.records("request_complete").map(\.thread)
            #expect(Set(threads).count == 2, "stored by one child, served by another: \(threads)")
        }
    }

    @Test("The arena's shards follow -m and --cache-shards; URLs spread over them are all stored and hit",
          arguments: [([String](), 2), (["-m", "100"], 8), (["--cache-shards", "1"], 1), (["-c", "fork", "--cache-shards", "4"], 4)])
    func shardedStore(_ options: [String], shards: Int) throws {
        let h = try Harness(model: options.first == "-c" ? options[1] : "epoll",
                            options: options.first == "-c" ? Array(options.dropFirst(2)) : options)
        defer { h.finish() }
        #expect(h.proxy.waitForLog { $0.contains("LRU cache initialized") })
        let started = h.proxy.records("LRU cache initialized (max \(options.first == "-m" ? 100 : 10) MB)")
        #expect(started.first?.fields["shards"] == String(shards), "\(started.map(\.fields))")
        let paths = (0..<24).map { "/cacheable/\(1000 + $0)?cc=max-age%3D60" }
        for path in paths {
            #expect(try Self.fetch(h, path).value("X-Proxy-Cache") == "MISS")
        }
        for (number, path) in paths.enumerated() {
            let again = try Self.fetch(h, path)
            #expect(again.value("X-Proxy-Cache") == "HIT", "\(path)")
            #expect(BodyPattern.firstMismatch(again.body, expected: 1000 + number) == nil)
        }
        #expect(try h.origin.counts().requests == 24)
        // /_stats and /metrics report the same layout.
        let stats = try ObservabilityTests.json(try ObservabilityTests.admin(h, "/_stats").body)
        let cache = try #require(stats["cache"] as? [String: Any])
        let megabytes = options.first == "-m" ? 100 : 10
        #expect(cache["shards"] as? Int == shards && cache["capacity_bytes"] as? Int == megabytes << 20, "\(cache)")
        #expect(cache["entry_count"] as? Int == 24, "\(cache)")
        let metrics = ObservabilityTests.samples(try ObservabilityTests.admin(h, "/metrics").body)
        #expect(metrics["portcullis_cache_shards"] == Double(shards) && metrics["portcullis_cache_capacity_bytes"] == Double(megabytes << 20))
    }

    @Test("50 simultaneous requests for one slow URL reach the origin once and all get the body (every concurrent model)",
          arguments: ["thread", "pool", "epoll", "fork"])
    func stampede(_ model: String) throws {
        // A pool worker keeps its kept-alive client: 64 workers, so no client waits for one.
        let h = try Harness(model: model, options: model == "pool" ? ["-t", "64"] : [])
        defer { h.finish() }
        let path = "/cacheable/3000?cc=max-age%3D60&delay=400"
        let clients = try (0..<50).map { _ in try h.connect() }
        defer { clients.forEach { $0.close() } }
        for client in clients { try client.send(h.get(path)) }
        var statuses: [String: Int] = [:]
        for client in clients {
            let response = try HTTPReader(client).next(timeoutMs: 15_000)
            #expect(response.status == 200)
            #expect(BodyPattern.firstMismatch(response.body, expected: 3000) == nil)
            statuses[response.value("X-Proxy-Cache") ?? "?", default: 0] += 1
        }
        // A waiter gives up after 5 s (ConnectionMachine.cacheWaitLimitMs) and fetches for
        // itself, logging cache_wait_timeout: only a sanitizer build on a loaded machine is
        // that slow, and every extra origin request must be such a waiter.
        #expect(h.proxy.waitForCompleted(50))
        let gaveUp = h.proxy.records("cache_wait_timeout").count
        if !BuildLocation.isSanitized { #expect(gaveUp == 0) }
        #expect(gaveUp < 25, "\(gaveUp) of 49 waiters gave up")
        #expect(try h.origin.counts().requests == 1 + gaveUp, "\(statuses), \(gaveUp) waiters gave up")
        #expect(statuses["MISS"] == 1 + gaveUp && statuses["HIT"] == 49 - gaveUp, "\(statuses)")
    }

    @Test("no-store and private responses are never stored (every model)",
          arguments: Harness.models, ["no-store", "private", "private%2C%20max-age%3D60"])
    func neverStored(_ model: String, _ directive: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        let path = "/cacheable/100?cc=\(directive)"
        for _ in 0..<3 {
            let response = try Self.fetch(h, path)
            #expect(response.status == 200 && response.value("X-Proxy-Cache") == "MISS")
        }
        #expect(try h.origin.counts().requests == 3)
    }

    @Test("A stale entry is revalidated with its ETag; the origin's 304 is answered from the cache (every model)",
          arguments: Harness.models)
    func revalidation(_ model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        let path = "/cacheable/2000?cc=max-age%3D1&etag=v1"
        #expect(try Self.fetch(h, path).value("X-Proxy-Cache") == "MISS")
        usleep(2_200_000)
        let revalidated = try Self.fetch(h, path)
        #expect(revalidated.status == 200 && revalidated.value("X-Proxy-Cache") == "REVALIDATED", "\(revalidated.rawHead)")
        #expect(BodyPattern.firstMismatch(revalidated.body, expected: 2000) == nil)
        #expect(try h.origin.counts().requests == 2)
        // The client's own conditional request gets 304 from the fresh entry.
        let conditional = try Self.fetch(h, path, extra: ["If-None-Match: \"v1\""])
        #expect(conditional.status == 304 && conditional.body.isEmpty, "\(conditional.rawHead)")
    }

    @Test("stale-while-revalidate: the stale entry answers at once, the refresh runs behind it (every model)",
          arguments: Harness.models)
    func staleWhileRevalidate(_ model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        // The origin takes 1.5 s per answer; the entry is fresh for 5 s, then usable stale
        // for 30 s while it is refreshed. (The refreshed entry's age starts at the 1.5 s the
        // origin took, RFC 9111 §4.2.3, so it is fresh for 3.5 s more.)
        let path = "/cacheable/4000?cc=max-age%3D5%2C%20stale-while-revalidate%3D30&etag=v1&delay=1500"
        #expect(try Self.fetch(h, path).value("X-Proxy-Cache") == "MISS")
        usleep(5_300_000)
        let started = Clock.nowMs()
        let stale = try Self.fetch(h, path, extra: ["Connection: close"])
        let elapsed = Clock.nowMs() - started
        #expect(stale.status == 200 && stale.value("X-Proxy-Cache") == "STALE", "\(stale.rawHead)")
        #expect(BodyPattern.firstMismatch(stale.body, expected: 4000) == nil)
        #expect(elapsed < 1_000, "the stale answer waited \(elapsed) ms: it must not wait for the origin's 1.5 s")
        // The refresh (If-None-Match, answered 304 after 1.5 s) makes the entry fresh again.
        #expect(h.proxy.waitForLog { $0.contains("] cache_refresh ") }, "\(h.proxy.log)")
        #expect(h.proxy.records("cache_refresh").map { $0.fields["outcome"] } == ["revalidated"])
        let hit = try Self.fetch(h, path)
        #expect(hit.value("X-Proxy-Cache") == "HIT", "\(hit.rawHead)")
        #expect(try h.origin.counts().requests == 2)
        #expect(h.proxy.waitForCompleted(3))
        #expect(h.proxy.records("request_complete").count == 3, "the refresh is not counted as a request")
    }

    @Test("When the origin is gone a stale entry is served, marked STALE (every model)", arguments: Harness.models)
    func staleWhenOriginDown(_ model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        let path = "/cacheable/700?cc=max-age%3D1"
        #expect(try Self.fetch(h, path).status == 200)
        h.origin.stop()
        // Keep the port refusing: under parallel tests another server could otherwise get it.
        let down = try RefusingPort(h.origin.port)
        defer { down.close() }
        usleep(1_500_000)
        let stale = try Self.fetch(h, path)
        #expect(stale.status == 200 && stale.value("X-Proxy-Cache") == "STALE", "\(stale.rawHead)")
        #expect(BodyPattern.firstMismatch(stale.body, expected: 700) == nil)
        #expect(h.proxy.waitForLog { $0.contains("] cache_stale ") })
    }

    @Test("Many objects through a small cache: the arena bound holds and the proxy's memory stays flat (every model)",
          arguments: Harness.models)
    func evictionBoundsMemory(_ model: String) throws {
        let h = try Harness(model: model, options: ["-m", "1"])
        defer { h.finish() }
        // 40 objects of 100 KB: 4 MB through a 1 MiB cache.
        _ = try Self.fetch(h, "/cacheable/100000?cc=max-age%3D60&n=warmup")
        let before = h.proxy.statusKiB("VmRSS") ?? 0
        for i in 0..<40 {
            let response = try Self.fetch(h, "/cacheable/100000?cc=max-age%3D60&n=\(i)")
            #expect(response.status == 200 && BodyPattern.firstMismatch(response.body, expected: 100_000) == nil)
        }
        let after = h.proxy.statusKiB("VmRSS") ?? 0
        // Under a sanitizer, freed memory sits in the runtime's quarantine: RSS says nothing there.
        if !BuildLocation.isSanitized {
            #expect(after - before < 3 * 1024, "RSS grew from \(before) KiB to \(after) KiB")
        }
        // The most recent object is still there; the first ones were evicted.
        #expect(try Self.fetch(h, "/cacheable/100000?cc=max-age%3D60&n=39").value("X-Proxy-Cache") == "HIT")
        #expect(try Self.fetch(h, "/cacheable/100000?cc=max-age%3D60&n=0").value("X-Proxy-Cache") == "MISS")
    }

    @Test("A HEAD request is answered from the stored GET (every model)", arguments: Harness.models)
    func headFromGet(_ model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        let path = "/cacheable/1234?cc=max-age%3D60"
        _ = try Self.fetch(h, path)
        let head = try Self.fetch(h, path, head: true)
        #expect(head.status == 200 && head.value("X-Proxy-Cache") == "HIT" && head.value("Content-Length") == "1234")
        #expect(try h.origin.counts().requests == 1)
    }
}
