import Testing
import Proxy
#if canImport(Glibc)
import Glibc
#endif

/// A quick throughput probe, not a timed test: it runs only when PORTCULLIS_CACHE_BENCH is
/// set and prints operations per second (meaningful in a release build).
@Suite struct CacheStoreBenchmark {
    @Test(.enabled(if: getenv("PORTCULLIS_CACHE_BENCH") != nil))
    func printsOperationsPerSecond() throws {
        let store = try CacheStore(capacityBytes: 64 << 20, maxObjectBytes: 1 << 20)
        let keys = (0..<4096).map { Array("http://bench.test/object/\($0)".utf8) }
        let body = pattern(4096, seed: 1)
        let head = Array("HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n".utf8)
        func seconds() -> Double {
            var now = timespec()
            unsafe clock_gettime(CLOCK_MONOTONIC, &now)
            return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        }
        let rounds = 200_000
        var start = seconds()
        for i in 0..<rounds {
            guard let writer = store.beginStore(key: keys[i & 4095], variant: [], head: head, expectedBodyBytes: body.count) else { continue }
            _ = writer.append(body)
            _ = writer.commit()
        }
        let storeRate = Double(rounds) / (seconds() - start)
        start = seconds()
        var hits = 0
        for i in 0..<rounds {
            if let pin = store.lookup(key: keys[(i &* 7) & 4095], matches: { _ in true }) {
                hits += pin.withBody { $0.count }
                pin.release()
            }
        }
        let lookupRate = Double(rounds) / (seconds() - start)
        // Eviction-bound: 64 MiB of 24 KiB objects churned.
        let big = pattern(24_000, seed: 2)
        start = seconds()
        for i in 0..<rounds / 4 {
            guard let writer = store.beginStore(key: Array("http://bench.test/big/\(i)".utf8), variant: [], head: head, expectedBodyBytes: nil) else { continue }
            _ = writer.append(big)
            _ = writer.commit()
        }
        let churnRate = Double(rounds / 4) / (seconds() - start)
        print("cache store: \(Int(storeRate)) stores/s (4 KiB), \(Int(lookupRate)) lookups/s, \(Int(churnRate)) evicting stores/s (24 KiB, unknown length); evictions \(store.evictions), bytes hit \(hits)")
        #expect(store.validate())
    }
}
