public import SafeParse

/// What a request asks of the cache (RFC 9111 §5.2.1, §5.4), read once per request.
public struct CacheRequestDirectives: Sendable, Hashable {
    /// `no-cache`, or `Pragma: no-cache` in a request without Cache-Control (§5.4): the
    /// stored response must be validated before use.
    public var noCache = false
    /// `no-store`: the response to this request must not be stored (§5.2.1.5).
    public var noStore = false
    /// `max-age`: the client does not want a response older than this (seconds).
    public var maxAge: Int64?
    /// `max-stale`: the client accepts a response stale by at most this much (no argument: any).
    public var maxStale: Int64?
    /// `min-fresh`: the client wants a response fresh for at least this much longer.
    public var minFresh: Int64?
    /// `only-if-cached`: answer from the cache or with 504, never contact the origin (§5.2.1.7).
    public var onlyIfCached = false

    public init() {}

    /// A request without Cache-Control and Pragma (most) asks nothing: no view is built.
    public init(_ head: RequestHead) {
        if head.fields.hasName(Self.cacheControl) || head.fields.hasName(Self.pragma) {
            self.init(HeadView(head))
        } else {
            self.init()
        }
    }

    static let cacheControl = Array("cache-control".utf8)
    static let pragma = Array("pragma".utf8)

    init(_ view: HeadView) {
        let cc = view.cacheControl()
        let hasCacheControl = view.contains("cache-control")
        noCache = cc.noCache || (!hasCacheControl && view.pragmaNoCache())
        noStore = cc.noStore
        maxAge = cc.maxAge.map { Int64($0) }
        maxStale = cc.maxStale.map { Int64($0) }
        minFresh = cc.minFresh.map { Int64($0) }
        onlyIfCached = cc.onlyIfCached
    }
}
