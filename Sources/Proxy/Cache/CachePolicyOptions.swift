// The cache policy (RFC 9111 for a shared cache, RFC 5861): pure functions over parsed heads
// and times the caller passes; no I/O, no clock. How a connection uses them:
//
//   request   CacheKey(request:)            nil: not GET/HEAD, bypass the cache
//             Invalidation.keysToInvalidate  after an unsafe method's 2xx/3xx answer
//   lookup    StoredResponse.decode(blob) → VaryKey.matches(request:variant:)
//             CacheLookupDecision.decide(request:stored:now:)
//               .fresh / .staleAllowed / .staleWhileRevalidate → serve: first
//                 ConditionalRequest.evaluate (304 via notModifiedHead), then
//                 CachedHead.forSending(head, age:, cacheStatus:, extraLines:)
//               .staleNeedsValidation → upstream with its validator fields; a 304 goes to
//                 HeaderRefresh.refresh, anything else replaces the entry
//               .staleWithoutValidators → fetch (MISS)
//             CacheRequestDirectives.onlyIfCached and not servable (or a miss) → 504
//             origin unreachable → StoredResponse.canServeStaleOnError
//   store     Storability.evaluate → .store(lifetime): CachedHead.storable(response,
//             responseTime:) → StoredResponse(head:variant:requestTime:responseTime:lifetime:)
//             with VaryKey.variant(response:request:) → encode() into the store

/// Settings of the cache policy (RFC 9111 leaves these to the cache). The maximum object
/// size is not here: the store and the connection machine enforce it.
public struct CachePolicyOptions: Sendable, Hashable {
    /// Heuristic freshness (§4.2.2) for responses without explicit freshness that carry
    /// Last-Modified and have a heuristically cacheable status (or `public`). Default: on.
    public var heuristicFreshness = true
    /// The heuristic lifetime is this percentage of the time since Last-Modified (the
    /// fraction RFC 9111 §4.2.2 suggests). Default: 10.
    public var heuristicPercent: Int64 = 10
    /// Upper bound of a heuristic lifetime, in seconds. Default: 86 400 (24 h).
    public var maxHeuristicLifetime: Int64 = 86_400
    /// Lifetime, in seconds, given to a storable response that has neither explicit nor
    /// heuristic freshness. nil (the default) gives it 0: it is stored but never served without
    /// contacting the origin (validation, or stale-if-error when the origin is unreachable).
    public var defaultLifetime: Int64? = nil
    /// How stale, in seconds, a stored response may be and still answer a request whose origin
    /// is unreachable, when neither the response (`stale-if-error`) nor the request
    /// (`max-stale`) says. nil (the default) follows RFC 9111 §4.2.4 with no limit: a
    /// disconnected cache may serve stale unless a directive forbids it.
    public var maxStaleOnError: Int64? = nil
    /// Store responses that carry Set-Cookie. Off by default, as nginx's proxy_cache and
    /// Varnish behave: RFC 9111 lets a shared cache store them, but a site that forgets
    /// `private` would then hand one user's session cookie to every other client.
    public var storeSetCookie = false

    public init() {}

    /// The defaults above.
    public static let `default` = CachePolicyOptions()
}
