public import SafeParse

/// What to do with a stored response that matched a request (RFC 9111 §4, RFC 5861).
///
/// Ages are the current age at the time of the decision (§4.2.3), for the Age field of the
/// answer. `only-if-cached` is not a case: read `CacheRequestDirectives.onlyIfCached` and,
/// when `isServableWithoutOrigin` is false (or on a miss), answer 504 (§5.2.1.7).
public enum CacheLookupDecision: Sendable, Hashable {
    /// Fresh and acceptable to the request: serve it (X-Proxy-Cache: HIT).
    case fresh(age: Int64)
    /// Stale, but the request's `max-stale` accepts this much staleness and the response does
    /// not forbid it: serve it (STALE).
    case staleAllowed(age: Int64)
    /// Serve it now and refresh it in the background (`stale-while-revalidate`, RFC 5861 §3).
    /// A cache that does not refresh in the background may treat this as
    /// `staleNeedsValidation`.
    case staleWhileRevalidate(age: Int64)
    /// Must be validated first: send the request upstream with `validators` (field lines,
    /// each ending in CRLF) added; a 304 refreshes it (`HeaderRefresh`), anything else replaces
    /// it. Before adding them, drop the client's own If-None-Match and If-Modified-Since.
    case staleNeedsValidation(age: Int64, validators: [UInt8])
    /// Must be validated but has neither ETag nor Last-Modified: fetch anew (MISS).
    case staleWithoutValidators

    /// True when the stored response is sent without waiting for the origin.
    public var isServableWithoutOrigin: Bool {
        switch self {
        case .fresh, .staleAllowed, .staleWhileRevalidate: true
        case .staleNeedsValidation, .staleWithoutValidators: false
        }
    }

    /// Decides for a request given as a parsed head.
    public static func decide(request: RequestHead, stored: StoredResponse, now: Int64) -> CacheLookupDecision {
        decide(request: CacheRequestDirectives(request), stored: stored, now: now)
    }

    /// The decision, in order:
    /// 1. `no-cache` in the response, or in the request (or its Pragma) → validate;
    /// 2. an age above the request's `max-age` → validate;
    /// 3. fresh (lifetime > age): served, unless the request's `min-fresh` wants more
    ///    remaining freshness than there is → validate;
    /// 4. stale: never served stale with `must-revalidate` or `proxy-revalidate`; else served
    ///    when within the request's `max-stale`, else when within the response's
    ///    `stale-while-revalidate` window (and the request has no `min-fresh`); else validate.
    public static func decide(request: CacheRequestDirectives, stored: StoredResponse, now: Int64) -> CacheLookupDecision {
        let age = stored.currentAge(now: now)
        let lifetime = stored.freshnessLifetime
        var serve: CacheLookupDecision?
        let mustValidate = stored.flags.contains(.noCache) || request.noCache
            || request.maxAge.map { age > $0 } ?? false
        if !mustValidate {
            if lifetime > age {
                let remaining = lifetime - age
                if request.minFresh.map({ remaining >= $0 }) ?? true { serve = .fresh(age: age) }
            } else if !stored.forbidsStale {
                let staleness = age.subtractingSaturating(lifetime)
                if let maxStale = request.maxStale, staleness <= maxStale {
                    serve = .staleAllowed(age: age)
                } else if stored.staleWhileRevalidate > 0, staleness <= stored.staleWhileRevalidate, request.minFresh == nil {
                    serve = .staleWhileRevalidate(age: age)
                }
            }
        }
        if let serve { return serve }
        let validators = validatorFields(storedHead: stored.head)
        return validators.isEmpty ? .staleWithoutValidators : .staleNeedsValidation(age: age, validators: validators)
    }

    /// Conditional field lines that validate the stored head (RFC 9111 §4.3.1): `If-None-Match`
    /// with its ETag, `If-Modified-Since` with its Last-Modified (when a valid HTTP-date). Empty
    /// when it has neither, or when the head cannot be read.
    public static func validatorFields(storedHead: [UInt8]) -> [UInt8] {
        guard let view = HeadView(storedHead: storedHead) else { return [] }
        var out: [UInt8] = []
        if let etag = view.first("etag"), EntityTag(etag) != nil {
            out.append(contentsOf: "If-None-Match: ".utf8)
            out.append(contentsOf: etag)
            out.append(contentsOf: CacheBytes.crlf)
        }
        if let lastModified = view.first("last-modified"), HTTPDate.parse(lastModified) != nil {
            out.append(contentsOf: "If-Modified-Since: ".utf8)
            out.append(contentsOf: lastModified)
            out.append(contentsOf: CacheBytes.crlf)
        }
        return out
    }
}
