#if canImport(Glibc)
import Glibc
#endif

/// Resource limits of the test process, which the proxy under test inherits.
enum ResourceLimits {
    /// Raises the open-descriptor limit to at least `wanted` (soft and, as root, hard).
    /// Returns the soft limit in force afterwards.
    @discardableResult
    static func raiseOpenFiles(to wanted: Int) -> Int {
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard unsafe getrlimit(resource, &limit) == 0 else { return 0 }
        if Int(limit.rlim_cur) >= wanted { return Int(limit.rlim_cur) }
        var raised = limit
        raised.rlim_cur = rlim_t(wanted)
        raised.rlim_max = max(limit.rlim_max, rlim_t(wanted))
        if unsafe setrlimit(resource, &raised) != 0 {
            raised.rlim_cur = limit.rlim_max // not root: as far as the hard limit allows
            raised.rlim_max = limit.rlim_max
            _ = unsafe setrlimit(resource, &raised)
        }
        _ = unsafe getrlimit(resource, &limit)
        return Int(limit.rlim_cur)
    }
}
