// The pointer uses of the fuzz targets, fenced here: byte arrays compared with memcmp, and a
// pinned body read in place, as the drivers send a hit.
// `cache-operations` compares every stored byte with the model's after every operation.
// Compared in Swift, each byte's comparison is compiled into the target with -sanitize=fuzzer,
// which calls libFuzzer's comparison hook on every one of them: that was most of the run time.
// memcmp is not instrumented.
#if canImport(Glibc)
import Glibc
#endif
import Proxy

/// True if `a` and `b` hold the same bytes.
func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    return unsafe a.withUnsafeBytes { x in
        unsafe b.withUnsafeBytes { y in
            guard let p = x.baseAddress, let q = y.baseAddress else { return true }
            return unsafe memcmp(p, q, x.count) == 0
        }
    }
}

/// A pin's body read in place through `withBody`, the view the drivers hand to sendmsg when
/// they answer a hit.
func bodyInPlace(_ pin: CachePin) -> [UInt8] {
    unsafe pin.withBody { raw in unsafe Array(raw) }
}
