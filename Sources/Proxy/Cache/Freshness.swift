public import SafeParse

/// How long a response stays fresh, and why (RFC 9111 §4.2.1, §4.2.2).
public struct FreshnessLifetime: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        /// `s-maxage` (shared caches only).
        case sMaxAge
        case maxAge
        /// Expires − Date.
        case expires
        /// A fraction of the time since Last-Modified (§4.2.2).
        case heuristic
        /// `CachePolicyOptions.defaultLifetime`.
        case defaultLifetime
        /// No freshness information: lifetime 0.
        case none
    }

    /// Seconds, never negative.
    public var seconds: Int64
    public var source: Source

    public init(seconds: Int64, source: Source) {
        self.seconds = max(0, seconds)
        self.source = source
    }

    /// True when the lifetime comes from the response's own directives or Expires.
    public var isExplicit: Bool { source == .sMaxAge || source == .maxAge || source == .expires }
}

/// Freshness lifetime and current age of a response (RFC 9111 §4.2), as a shared cache
/// computes them. All times are seconds since the epoch, passed by the caller.
public enum Freshness {
    /// Statuses "heuristically cacheable by default" (RFC 9110 §15.1).
    public static let heuristicallyCacheableStatuses: Set<Int> = [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501]

    public static func isHeuristicallyCacheable(status: Int) -> Bool {
        heuristicallyCacheableStatuses.contains(status)
    }

    /// The explicit lifetime (§4.2.1), in the order a shared cache uses: `s-maxage`, then
    /// `max-age`, then Expires − Date. An invalid Expires means already expired (lifetime 0).
    /// Without Date, the time the response was received stands in for it. nil when the
    /// response has none of the three.
    public static func explicitLifetime(cacheControl: CacheControl, date: Int64?, expires: HTTPDateField,
                                        responseTime: Int64) -> FreshnessLifetime? {
        if let s = cacheControl.sMaxAge { return FreshnessLifetime(seconds: Int64(s), source: .sMaxAge) }
        if let m = cacheControl.maxAge { return FreshnessLifetime(seconds: Int64(m), source: .maxAge) }
        switch expires {
        case .absent: return nil
        case .invalid: return FreshnessLifetime(seconds: 0, source: .expires)
        case .valid(let e): return FreshnessLifetime(seconds: e.subtractingSaturating(date ?? responseTime), source: .expires)
        }
    }

    /// The heuristic lifetime (§4.2.2): `heuristicPercent` of (Date − Last-Modified), at most
    /// `maxHeuristicLifetime`; 0 when Last-Modified is not before Date.
    public static func heuristicLifetime(date: Int64, lastModified: Int64, options: CachePolicyOptions = .default) -> Int64 {
        let interval = date.subtractingSaturating(lastModified)
        guard interval > 0 else { return 0 }
        let percent = min(max(options.heuristicPercent, 0), 100)
        let lifetime = interval / 100 * percent + interval % 100 * percent / 100
        return min(lifetime, max(options.maxHeuristicLifetime, 0))
    }

    /// The lifetime of a response: explicit if it has one; else heuristic when the options
    /// allow it, the response has Last-Modified, and its status is heuristically cacheable or it
    /// is `public`; else `defaultLifetime`; else 0.
    public static func lifetime(status: Int, cacheControl: CacheControl, date: Int64?, expires: HTTPDateField,
                                lastModified: Int64?, responseTime: Int64,
                                options: CachePolicyOptions = .default) -> FreshnessLifetime {
        if let explicit = explicitLifetime(cacheControl: cacheControl, date: date, expires: expires, responseTime: responseTime) {
            return explicit
        }
        if options.heuristicFreshness, let lastModified,
           isHeuristicallyCacheable(status: status) || cacheControl.isPublic {
            return FreshnessLifetime(seconds: heuristicLifetime(date: date ?? responseTime, lastModified: lastModified, options: options),
                                     source: .heuristic)
        }
        if let d = options.defaultLifetime { return FreshnessLifetime(seconds: d, source: .defaultLifetime) }
        return FreshnessLifetime(seconds: 0, source: .none)
    }

    /// The lifetime of `response`, received at `responseTime`.
    public static func lifetime(response: ResponseHead, responseTime: Int64, options: CachePolicyOptions = .default) -> FreshnessLifetime {
        lifetime(HeadView(response), responseTime: responseTime, options: options)
    }

    static func lifetime(_ head: HeadView, responseTime: Int64, options: CachePolicyOptions) -> FreshnessLifetime {
        lifetime(status: head.status, cacheControl: head.cacheControl(), date: head.date("date").seconds,
                 expires: head.date("expires"), lastModified: head.date("last-modified").seconds,
                 responseTime: responseTime, options: options)
    }

    /// The current age of a stored response (§4.2.3):
    ///
    ///     apparent_age          = max(0, response_time - date_value)
    ///     response_delay        = response_time - request_time
    ///     corrected_age_value   = age_value + response_delay
    ///     corrected_initial_age = max(apparent_age, corrected_age_value)
    ///     resident_time         = now - response_time
    ///     current_age           = corrected_initial_age + resident_time
    ///
    /// `ageValue` is the Age field (0 when absent), `date` the Date field (nil when absent or
    /// invalid: the apparent age is then 0). Clocks that step back never make an age negative.
    public static func currentAge(ageValue: Int64, date: Int64?, requestTime: Int64, responseTime: Int64, now: Int64) -> Int64 {
        let apparentAge = max(0, responseTime.subtractingSaturating(date ?? responseTime))
        let responseDelay = max(0, responseTime.subtractingSaturating(requestTime))
        let correctedAgeValue = max(0, ageValue).addingSaturating(responseDelay)
        let correctedInitialAge = max(apparentAge, correctedAgeValue)
        let residentTime = max(0, now.subtractingSaturating(responseTime))
        return correctedInitialAge.addingSaturating(residentTime)
    }
}

extension Int64 {
    func addingSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    func subtractingSaturating(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other < 0 ? .max : .min) : difference
    }
}
