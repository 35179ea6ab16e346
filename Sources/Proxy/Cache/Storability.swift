public import SafeParse

/// Whether a shared cache may store a response (RFC 9111 §3), and with what lifetime.
///
/// The rules, in the order they are checked (the first that fails is the reason):
/// 1. the request method is GET (this cache stores nothing else; HEAD is answered from GET);
/// 2. the status is final (not 1xx), not 304 (a 304 refreshes a stored response, see
///    `HeaderRefresh`), not 206, and the request has no Range field: this cache does not
///    combine partial content (§3.3), so ranges are passed through and never stored;
/// 3. `must-understand` with a status this cache does not understand → not stored; with one
///    it does, `no-store` is overridden (§5.2.2.3);
/// 4. no `no-store` in the response, nor in the request (§5.2.1.5, §5.2.2.5);
/// 5. no `private` (a shared cache, §5.2.2.7);
/// 6. a request with Authorization only with `must-revalidate`, `public` or `s-maxage` (§3.5);
/// 7. no `Vary: *` (it can never be matched, §4.1);
/// 8. no Set-Cookie, unless `CachePolicyOptions.storeSetCookie` (RFC 9111 allows storing it;
///    off by default so that a forgotten `private` cannot leak one client's cookie to others);
/// 9. the response has explicit freshness (`s-maxage`, `max-age`, Expires), `public`, or a
///    heuristically cacheable status.
///
/// A stored response gets `Freshness.lifetime`: with no freshness information at all that is
/// 0 (or `defaultLifetime`), so it is stored but validated (or refetched) before each use.
public enum Storability: Sendable, Hashable {
    case store(FreshnessLifetime)
    case doNotStore(reason: String)

    /// Statuses whose caching semantics this cache implements (for `must-understand`).
    public static let understoodStatuses: Set<Int> = [200, 203, 204, 300, 301, 302, 307, 308, 404, 405, 410, 414, 501]

    /// The decision for `response` to `request`, received at `responseTime` (used as Date when
    /// the response has none).
    public static func evaluate(request: RequestHead, response: ResponseHead, responseTime: Int64,
                                options: CachePolicyOptions = .default) -> Storability {
        guard request.method == .get else { return .doNotStore(reason: "request method is not GET") }
        return evaluate(request: HeadView(request), response: HeadView(response), responseTime: responseTime, options: options)
    }

    static func evaluate(request: HeadView, response: HeadView, responseTime: Int64, options: CachePolicyOptions) -> Storability {
        let status = response.status
        if status < 200 { return .doNotStore(reason: "interim response") }
        if status == 304 { return .doNotStore(reason: "304 refreshes a stored response") }
        if status == 206 { return .doNotStore(reason: "partial content is not stored") }
        if request.contains("range") { return .doNotStore(reason: "range request") }
        let cc = response.cacheControl()
        let requestCC = request.cacheControl()
        if cc.mustUnderstand && !understoodStatuses.contains(status) {
            return .doNotStore(reason: "must-understand with status \(status)")
        }
        if cc.noStore && !cc.mustUnderstand { return .doNotStore(reason: "response no-store") }
        if requestCC.noStore { return .doNotStore(reason: "request no-store") }
        if cc.isPrivate { return .doNotStore(reason: "response private") }
        if request.contains("authorization") && !(cc.mustRevalidate || cc.isPublic || cc.sMaxAge != nil) {
            return .doNotStore(reason: "Authorization without public, must-revalidate or s-maxage")
        }
        if response.listMembers(of: "vary").contains(where: { $0.elementsEqual([0x2A]) }) {
            return .doNotStore(reason: "Vary: *")
        }
        if !options.storeSetCookie && response.contains("set-cookie") {
            return .doNotStore(reason: "Set-Cookie")
        }
        let hasExplicit = cc.sMaxAge != nil || cc.maxAge != nil || response.contains("expires")
        guard hasExplicit || cc.isPublic || Freshness.isHeuristicallyCacheable(status: status) else {
            return .doNotStore(reason: "no explicit freshness and status \(status) is not heuristically cacheable")
        }
        return .store(Freshness.lifetime(response, responseTime: responseTime, options: options))
    }

    public var isStorable: Bool { if case .store = self { true } else { false } }
}
