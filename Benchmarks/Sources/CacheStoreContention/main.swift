// Cache store lock contention: threads looking up (19 in 20 operations) and storing (1 in 20)
// random keys of one shared store, with one shard (one lock for everything) and with several
// (a lock each). Prints operations per second per row; every row is bounded by its operation
// count. Run through `Benchmarks/run cache-store` (release build).
import Proxy
#if canImport(Glibc)
import Glibc
#endif

/// Monotonic seconds.
func seconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// xorshift64*: each thread's own stream of keys and choices.
struct Random {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

/// Counts finished threads; `wait` returns when all have.
final class Finish: @unchecked Sendable {
    private let lock = ConditionLock()
    private var finished = 0 // guarded by `lock`
    func done() { lock.withLock { finished += 1; lock.signal() } }
    func wait(for count: Int) { lock.withLock { while finished < count { lock.wait(milliseconds: 50) } } }
}

let keyCount = 4096
let keys = (0..<keyCount).map { Array("http://bench.test/object/\($0)".utf8) }
let body = [UInt8](repeating: 0x61, count: 1024)
let head = Array("HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n".utf8)

func store(_ cache: CacheStore, _ key: [UInt8]) {
    guard let writer = cache.beginStore(key: key, variant: [], head: head, expectedBodyBytes: body.count) else { return }
    _ = writer.append(body)
    _ = writer.commit()
}

/// Operations per second of `threads` threads, `operations` each, on a 64 MiB store of `shards`.
func run(threads: Int, shards: Int, operations: Int) throws -> Double {
    let cache = try CacheStore(capacityBytes: 64 << 20, maxObjectBytes: 1 << 20, shards: shards)
    for key in keys { store(cache, key) }
    let finish = Finish()
    let start = seconds()
    for thread in 0..<threads {
        _ = OSThread.spawn(name: "bench-\(thread)") {
            var random = Random(state: 0x9E37_79B9_7F4A_7C15 &+ UInt64(thread))
            var bytes = 0
            for _ in 0..<operations {
                let choice = random.next()
                let key = keys[Int(choice >> 16) % keyCount]
                if choice % 20 == 0 {
                    store(cache, key)
                } else if let pin = cache.lookup(key: key, matches: { _ in true }) {
                    bytes &+= pin.bodyCount
                    pin.release()
                }
            }
            if bytes < 0 { print(bytes) } // keeps the reads
            finish.done()
        }
    }
    finish.wait(for: threads)
    return Double(threads * operations) / (seconds() - start)
}

let operations = Int(Swift.CommandLine.arguments.dropFirst().first ?? "") ?? 300_000
let shardCounts = [1, 4, 16]
print("== cache store: operations/s (1 KiB entries, 4096 keys, 95% lookups), \(operations) per thread, \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) CPUs")
print("threads " + shardCounts.map { "  shards=\($0)".padding(13) }.joined())
for threads in [1, 2, 4, 8] {
    var line = "\(threads)".padding(8)
    for shards in shardCounts {
        line += "\(Int(try run(threads: threads, shards: shards, operations: operations)))".padding(13, left: true)
    }
    print(line)
}

extension String {
    func padding(_ width: Int, left: Bool = false) -> String {
        let pad = String(repeating: " ", count: max(0, width - count))
        return left ? pad + self : self + pad
    }
}
