import SafeParse

/// What the cache keeps about one stored response: the values the policy needs, computed
/// once when the response is stored, and the response head as it will be sent.
///
/// The lead stores `encode()` as the store's "head" blob (the body goes in its own blob) and
/// reads it back with `decode(_:)`. Times are wall-clock seconds since the epoch.
public struct StoredResponse: Sendable, Hashable {
    /// Facts about the response that decide how it may be served.
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// `must-revalidate`: never served stale (§5.2.2.2).
        public static let mustRevalidate = Flags(rawValue: 1 << 0)
        /// `proxy-revalidate`, or `s-maxage` which implies it: never served stale by a shared
        /// cache (§5.2.2.8, §5.2.2.10).
        public static let proxyRevalidate = Flags(rawValue: 1 << 1)
        /// `no-cache`: validated before every use (§5.2.2.4).
        public static let noCache = Flags(rawValue: 1 << 2)
        /// The head has an ETag or a Last-Modified to validate with.
        public static let hasValidators = Flags(rawValue: 1 << 3)
        /// The freshness lifetime is heuristic (§4.2.2).
        public static let heuristic = Flags(rawValue: 1 << 4)
        /// `immutable` (RFC 8246): the body will not change while fresh.
        public static let immutable = Flags(rawValue: 1 << 5)

        static let known: UInt16 = (1 << 6) - 1
    }

    /// When the request that fetched this response was sent (§4.2.3 `request_time`).
    public var requestTime: Int64
    /// When the response head was received (§4.2.3 `response_time`).
    public var responseTime: Int64
    /// The Date field; nil when absent or invalid.
    public var date: Int64?
    /// The Age field in seconds (0 when absent or invalid; saturates at 2^31).
    public var ageValue: Int64
    /// The Expires field: nil when absent; an invalid one is recorded as 0 (a time in the past).
    public var expires: Int64?
    /// The Last-Modified field; nil when absent or invalid.
    public var lastModified: Int64?
    public var status: Int
    /// Seconds, from `Freshness.lifetime` when stored.
    public var freshnessLifetime: Int64
    public var flags: Flags
    /// RFC 5861 windows in seconds (0 when absent).
    public var staleWhileRevalidate: Int64
    public var staleIfError: Int64
    /// The request's fields named by Vary, from `VaryKey.variant` (empty without Vary).
    public var variant: [UInt8]
    /// The response head as it will be sent: status line, field lines, empty line.
    public var head: [UInt8]

    public init(requestTime: Int64, responseTime: Int64, date: Int64?, ageValue: Int64, expires: Int64?,
                lastModified: Int64?, status: Int, freshnessLifetime: Int64, flags: Flags,
                staleWhileRevalidate: Int64, staleIfError: Int64, variant: [UInt8], head: [UInt8]) {
        self.requestTime = requestTime
        self.responseTime = responseTime
        self.date = date
        self.ageValue = ageValue
        self.expires = expires
        self.lastModified = lastModified
        self.status = status
        self.freshnessLifetime = freshnessLifetime
        self.flags = flags
        self.staleWhileRevalidate = staleWhileRevalidate
        self.staleIfError = staleIfError
        self.variant = variant
        self.head = head
    }

    /// The metadata of a response about to be stored. `head` is the head as it will be sent
    /// (see `CachedHead.storable`); its fields are the ones read (Date, Age, Expires,
    /// Last-Modified, ETag, Cache-Control). Returns nil when `head` is not a complete response
    /// head. `lifetime` is the one `Storability` returned; without it, it is computed.
    public init?(head: [UInt8], variant: [UInt8] = [], requestTime: Int64, responseTime: Int64,
                 lifetime: FreshnessLifetime? = nil, options: CachePolicyOptions = .default) {
        guard let view = HeadView(storedHead: head) else { return nil }
        self.init(view, variant: variant, requestTime: requestTime, responseTime: responseTime,
                  lifetime: lifetime, options: options)
    }

    init(_ view: HeadView, variant: [UInt8], requestTime: Int64, responseTime: Int64,
         lifetime: FreshnessLifetime?, options: CachePolicyOptions) {
        let cc = view.cacheControl()
        let lifetime = lifetime ?? Freshness.lifetime(view, responseTime: responseTime, options: options)
        var flags: Flags = []
        if cc.mustRevalidate { flags.insert(.mustRevalidate) }
        // s-maxage carries the semantics of proxy-revalidate for a shared cache (§5.2.2.10).
        if cc.proxyRevalidate || cc.sMaxAge != nil { flags.insert(.proxyRevalidate) }
        if cc.noCache { flags.insert(.noCache) }
        if cc.immutable { flags.insert(.immutable) }
        if lifetime.source == .heuristic { flags.insert(.heuristic) }
        if view.first("etag").flatMap({ EntityTag($0) }) != nil || view.date("last-modified").seconds != nil {
            flags.insert(.hasValidators)
        }
        let expires: Int64? = switch view.date("expires") {
        case .absent: nil
        case .invalid: 0
        case .valid(let e): e
        }
        self.init(requestTime: requestTime, responseTime: responseTime, date: view.date("date").seconds,
                  ageValue: view.first("age").flatMap { CacheBytes.decimal($0) } ?? 0,
                  expires: expires, lastModified: view.date("last-modified").seconds, status: view.status,
                  freshnessLifetime: lifetime.seconds, flags: flags,
                  staleWhileRevalidate: Int64(cc.staleWhileRevalidate ?? 0), staleIfError: Int64(cc.staleIfError ?? 0),
                  variant: variant, head: view.bytes)
    }

    /// The current age at `now` (§4.2.3).
    public func currentAge(now: Int64) -> Int64 {
        Freshness.currentAge(ageValue: ageValue, date: date, requestTime: requestTime, responseTime: responseTime, now: now)
    }

    /// True while the current age is below the freshness lifetime (§4.2).
    public func isFresh(now: Int64) -> Bool { freshnessLifetime > currentAge(now: now) }

    /// Seconds past the freshness lifetime at `now` (0 while fresh).
    public func staleness(now: Int64) -> Int64 { max(0, currentAge(now: now).subtractingSaturating(freshnessLifetime)) }

    /// True when the response must not be served stale by a shared cache: `must-revalidate`,
    /// `proxy-revalidate` or `no-cache` (§4.2.4, §5.2.2).
    public var forbidsStale: Bool { !flags.isDisjoint(with: [.mustRevalidate, .proxyRevalidate, .noCache]) }

    /// True when this response may answer `request` because the origin could not be reached
    /// (RFC 9111 §4.2.4: a disconnected cache may serve stale; RFC 5861 §4 `stale-if-error`).
    ///
    /// A fresh copy is servable unless it must be validated (`no-cache` in the response or the
    /// request). A stale one never when the response has `must-revalidate`, `proxy-revalidate`
    /// or `no-cache`, nor when the request has `no-cache` (or Pragma) or a `max-age` it exceeds.
    /// Then the staleness (age − lifetime) must be within the request's `max-stale` if it has
    /// one, else within the response's `stale-if-error` window if it has one, else within
    /// `options.maxStaleOnError` (no limit by default).
    public func canServeStaleOnError(request: CacheRequestDirectives, now: Int64,
                                     options: CachePolicyOptions = .default) -> Bool {
        let age = currentAge(now: now)
        let mustValidate = flags.contains(.noCache) || request.noCache
        if freshnessLifetime > age { return !mustValidate }
        if forbidsStale || mustValidate { return false }
        if let maxAge = request.maxAge, age > maxAge { return false }
        let staleness = age.subtractingSaturating(freshnessLifetime)
        if let maxStale = request.maxStale { return staleness <= maxStale }
        if staleIfError > 0 { return staleness <= staleIfError }
        if let limit = options.maxStaleOnError { return staleness <= limit }
        return true
    }
}
