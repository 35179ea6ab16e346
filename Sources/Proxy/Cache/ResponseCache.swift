internal import SafeParse

/// A stored response found for a request: the pinned entry (its bytes stay valid until the
/// pin is released) and its decoded metadata.
public struct CacheHit: Sendable {
    public let pin: CachePin
    public var stored: StoredResponse
    /// Current age in seconds when it was looked up (RFC 9111 §4.2.3).
    public var age: Int64
}

/// The cache as the connection machine uses it: the shared `CacheStore` (bytes) under the RFC
/// 9111 policy (`Storability`, `CacheLookupDecision`, `ConditionalRequest`, `HeaderRefresh`,
/// `VaryKey`, `Invalidation`). One per process tree: its store is a MAP_SHARED arena made
/// before any fork. Holds no connection state; every call is thread-safe.
public final class ResponseCache: @unchecked Sendable {
    public let store: CacheStore
    let options: CachePolicyOptions
    /// Keys whose last fill was not storable or never fresh, until when (wall seconds): no
    /// point in making concurrent requests for them wait for each other. Per process, at most
    /// `uncollapsibleLimit` keys (hashes), the whole table dropped when it fills. Guarded by
    /// `uncollapsibleLock` (a pthread mutex: ThreadSanitizer sees through it, while it reports
    /// false races inside Synchronization.Mutex on Linux); the only mutable state of the class.
    private let uncollapsibleLock = ConditionLock()
    private var uncollapsible: [Int: Int64] = [:]
    static let uncollapsibleLimit = 4096
    static let uncollapsibleSeconds: Int64 = 30

    init(store: CacheStore, options: CachePolicyOptions) {
        self.store = store
        self.options = options
    }

    /// The cache for `config`, or nil when it is off (`-m 0`) or its arena cannot be mapped
    /// (`ProxyServer` logs which).
    static func make(config: ProxyConfiguration) -> ResponseCache? {
        guard config.cacheMegabytes > 0 else { return nil }
        let capacity = config.cacheMegabytes << 20
        var options = CachePolicyOptions()
        options.heuristicFreshness = config.cacheHeuristic
        options.maxHeuristicLifetime = Int64(config.cacheHeuristicMaxSeconds)
        options.storeSetCookie = config.cacheSetCookie
        options.defaultLifetime = config.cacheDefaultLifetimeSeconds > 0 ? Int64(config.cacheDefaultLifetimeSeconds) : nil
        let maxObject = min(config.cacheMaxObjectBytes, capacity / 4)
        let shards = config.cacheShards > 0 ? config.cacheShards
            : CacheStore.automaticShardCount(capacityBytes: capacity, maxObjectBytes: maxObject)
        guard let store = try? CacheStore(capacityBytes: capacity, maxObjectBytes: maxObject, shards: shards)
        else { return nil }
        return ResponseCache(store: store, options: options)
    }

    /// What a lookup found.
    enum Lookup {
        case miss
        /// Fresh and acceptable: answer from it (HIT).
        case fresh(CacheHit)
        /// Stale, but the request accepts it (`max-stale`): answer from it (STALE).
        case staleAllowed(CacheHit)
        /// Stale: validate with these validator field lines, or (nil) fetch anew. Kept to answer
        /// if the origin cannot be reached.
        case stale(CacheHit, validators: [UInt8]?)
        /// Stale within its `stale-while-revalidate` window (RFC 5861 §3): answer from it now
        /// (STALE), then refresh it from the origin, with these validators or (nil) anew.
        case staleWhileRevalidate(CacheHit, validators: [UInt8]?)
    }

    // MARK: - Requests

    /// The key under which a response to `head` is stored and looked up: GET and HEAD without
    /// a body or Range (partial content is not cached); nil otherwise.
    func key(for head: RequestHead) -> [UInt8]? {
        guard head.method == .get || head.method == .head else { return nil }
        guard head.framing == .none || head.framing == .contentLength(0) else { return nil }
        guard head.fields.firstIndex(of: "range") == nil else { return nil }
        return CacheKey(request: head)?.bytes
    }

    func lookup(key: [UInt8], request: RequestHead, wallNow: Int64) -> Lookup {
        let pin = store.lookup(key: key) { variant in
            variant.isEmpty || VaryKey.matches(request: request, variant: Self.bytes(variant))
        }
        guard let pin else { return .miss }
        guard let stored = StoredResponse.decode(pin.copyHead()) else {
            // Unreadable metadata (never written by this version): drop it.
            pin.release()
            store.remove(key: key)
            return .miss
        }
        let hit = CacheHit(pin: pin, stored: stored, age: stored.currentAge(now: wallNow))
        switch CacheLookupDecision.decide(request: request, stored: stored, now: wallNow) {
        case .fresh:
            return .fresh(hit)
        case .staleAllowed:
            return .staleAllowed(hit)
        case .staleNeedsValidation(_, let validators):
            return .stale(hit, validators: validators)
        case .staleWhileRevalidate:
            let validators = stored.flags.contains(.hasValidators) ? CacheLookupDecision.validatorFields(storedHead: stored.head) : []
            return .staleWhileRevalidate(hit, validators: validators.isEmpty ? nil : validators)
        case .staleWithoutValidators:
            return .stale(hit, validators: nil)
        }
    }

    /// `Cache-Control: only-if-cached` (RFC 9111 §5.2.1.7): a miss is answered 504.
    func onlyIfCached(_ request: RequestHead) -> Bool { CacheRequestDirectives(request).onlyIfCached }

    /// Concurrent misses for `key` should wait for one fill, unless its recent fills were not
    /// storable or never fresh.
    func shouldCollapse(key: [UInt8], wallNow: Int64) -> Bool {
        let hash = key.hashValue
        return uncollapsibleLock.withLock {
            guard let until = uncollapsible[hash] else { return true }
            if until > wallNow { return false }
            uncollapsible[hash] = nil
            return true
        }
    }

    private func markUncollapsible(_ key: [UInt8], wallNow: Int64) {
        let hash = key.hashValue
        uncollapsibleLock.withLock {
            if uncollapsible.count >= Self.uncollapsibleLimit { uncollapsible.removeAll(keepingCapacity: true) }
            uncollapsible[hash] = wallNow + Self.uncollapsibleSeconds
        }
    }

    /// The upstream head for validating a stored entry: the client's own If-None-Match and
    /// If-Modified-Since removed (the origin's 304 must be about our entry, RFC 9111 §4.3.1),
    /// `validators` (complete field lines) added before the empty line.
    func validationHead(_ upstreamHead: [UInt8], validators: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(upstreamHead.count + validators.count)
        var lineStart = 0
        var first = true
        var i = 0
        while i + 1 < upstreamHead.count {
            guard upstreamHead[i] == 0x0D, upstreamHead[i + 1] == 0x0A else { i += 1; continue }
            let line = upstreamHead[lineStart..<(i + 2)]
            if line.count == 2 { break } // the empty line
            if first || !(Self.startsField(line, "if-none-match") || Self.startsField(line, "if-modified-since")) {
                out.append(contentsOf: line)
            }
            first = false
            i += 2
            lineStart = i
        }
        out.append(contentsOf: validators)
        out.append(contentsOf: [0x0D, 0x0A])
        return out
    }

    // MARK: - Answers

    /// The whole answer to `request` from `hit`: 304 when the request's own conditional
    /// matches (RFC 9110 §13.1, RFC 9111 §4.3.2), else the stored response (head only for
    /// HEAD), with Age, `X-Proxy-Cache`, our Via, connection and Content-Length framing.
    /// The head is built; the body, when there is one, stays in the arena (`body`, to be sent
    /// from there after the head).
    func response(for hit: CacheHit, request: RequestHead, status: CacheStatus, wallNow: Int64, keepAlive: Bool,
                  clientVersion: HTTPVersion, viaLine: [UInt8]) -> (head: [UInt8], body: StoredBody?, status: Int) {
        var storedHead = hit.stored.head
        var code = hit.stored.status
        var bodyless = request.method == .head
        if ConditionalRequest.evaluate(request: request, stored: hit.stored) == .notModified,
           let notModified = ConditionalRequest.notModifiedHead(storedHead: storedHead) {
            storedHead = notModified
            code = 304
            bodyless = true
        }
        // Room for the lines appended below, so that adding them never reallocates.
        var extra: [UInt8] = []
        extra.reserveCapacity(viaLine.count + 64)
        extra.append(contentsOf: viaLine)
        if code != 304 && code != 204 && !(100..<200).contains(code) {
            extra.append(contentsOf: Self.contentLengthField)
            CacheBytes.appendDecimal(hit.pin.bodyCount, to: &extra)
            extra.append(contentsOf: Self.crlf)
        }
        if !keepAlive {
            extra.append(contentsOf: ResponseRewriter.connectionClose)
        } else if clientVersion == .http10 {
            extra.append(contentsOf: ResponseRewriter.connectionKeepAlive)
        }
        let age = hit.stored.currentAge(now: wallNow)
        var bytes: [UInt8]
        if code == hit.stored.status, storedHead.count >= 4 {
            // Stored heads carry no Age, X-Proxy-Cache or Content-Length (`storableHead`): the
            // answer is the stored head with ours appended, no parsing per hit.
            bytes = []
            bytes.reserveCapacity(storedHead.count + extra.count + 64)
            bytes.append(contentsOf: storedHead[0..<(storedHead.count - 2)])
            bytes.append(contentsOf: Self.ageField)
            CacheBytes.appendDecimal(Int(min(max(age, 0), Int64(CacheControl.maxDeltaSeconds))), to: &bytes)
            bytes.append(contentsOf: Self.crlf)
            bytes.append(contentsOf: Self.cacheStatusLines[status] ?? [])
            bytes.append(contentsOf: extra)
            bytes.append(contentsOf: Self.crlf)
        } else {
            guard let head = CachedHead.forSending(storedHead, age: age, cacheStatus: status, extraLines: extra) else {
                return (ErrorPage.render(status: 502, detail: "A stored response could not be read.", via: nil, close: !keepAlive), nil, 502)
            }
            bytes = head
        }
        return (bytes, !bodyless && hit.pin.bodyCount > 0 ? StoredBody(hit.pin) : nil, code)
    }

    /// May `hit` answer `request` because the origin failed (RFC 9111 §4.2.4, RFC 5861)?
    func canServeStale(_ hit: CacheHit, request: RequestHead, wallNow: Int64, error: Bool) -> Bool {
        hit.stored.canServeStaleOnError(request: CacheRequestDirectives(request), now: wallNow, options: options)
    }

    // MARK: - Responses

    /// Starts storing `response` to `request` under `key` when RFC 9111 §3 allows it; nil
    /// otherwise (not storable, Vary: *, larger than the object limit, no room). Nothing is
    /// visible until the writer commits.
    func beginStore(key: [UInt8], request: RequestHead, response: ResponseHead, requestTime: Int64, responseTime: Int64) -> CacheWriter? {
        guard case .store(let lifetime) = Storability.evaluate(request: request, response: response, responseTime: responseTime,
                                                                options: options),
              let variant = VaryKey.variant(response: response, request: request)
        else {
            markUncollapsible(key, wallNow: responseTime)
            return nil
        }
        let head = Self.withoutFields(CachedHead.storable(response, responseTime: responseTime), ["content-length"])
        guard var stored = StoredResponse(head: head, variant: variant, requestTime: requestTime, responseTime: responseTime,
                                          lifetime: lifetime, options: options)
        else { return nil }
        stored.head = Self.storableHead(stored.head)
        if stored.freshnessLifetime <= 0 || stored.flags.contains(.noCache) { markUncollapsible(key, wallNow: responseTime) }
        let expected: Int? = if case .contentLength(let n) = response.framing { Int(clamping: n) } else { nil }
        return store.beginStore(key: key, variant: variant, head: stored.encode(), expectedBodyBytes: expected)
    }

    /// The origin answered 304 to our validation of `candidate`: the stored head refreshed
    /// (RFC 9111 §4.3.4) and stored again with the same body. nil when the 304 does not apply
    /// to the candidate (other validators): the entry is removed and the caller must not
    /// treat the candidate as validated.
    func refresh(_ candidate: CacheHit, with notModified: ResponseHead, key: [UInt8], request: RequestHead,
                 requestTime: Int64, responseTime: Int64) -> CacheHit? {
        switch HeaderRefresh.refresh(candidate.stored, notModified: notModified, requestTime: requestTime,
                                     responseTime: responseTime, options: options) {
        case .updated(var refreshed):
            refreshed.head = Self.storableHead(refreshed.head)
            if let writer = store.beginStore(key: key, variant: refreshed.variant, head: refreshed.encode(),
                                             expectedBodyBytes: candidate.pin.bodyCount) {
                if candidate.pin.bodyCount == 0 || writer.append(candidate.pin.copyBody(0..<candidate.pin.bodyCount)) {
                    _ = writer.commit()
                }
            }
            return CacheHit(pin: candidate.pin, stored: refreshed, age: refreshed.currentAge(now: responseTime))
        case .serveAndRemove(let head):
            store.remove(key: key)
            var stored = candidate.stored
            stored.head = head
            return CacheHit(pin: candidate.pin, stored: stored, age: candidate.age)
        case .notApplicable:
            store.remove(key: key)
            return nil
        }
    }

    /// Keys to remove after `response` to an unsafe `request` (RFC 9111 §4.4).
    func invalidationKeys(request: RequestHead, response: ResponseHead) -> [[UInt8]] {
        Invalidation.keysToInvalidate(request: request, response: response).map(\.bytes)
    }

    // MARK: - Bytes

    static func bytes(_ span: Span<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(span.count)
        for i in span.indices { out.append(span[i]) }
        return out
    }

    /// True when `line` is a field line named `lowercaseName`.
    static func startsField(_ line: ArraySlice<UInt8>, _ lowercaseName: String) -> Bool {
        let name = Array(lowercaseName.utf8)
        guard line.count > name.count, line[line.startIndex + name.count] == 0x3A else { return false }
        for (i, b) in name.enumerated() where line[line.startIndex + i] | 0x20 != b { return false }
        return true
    }

    static let ageField = Array("Age: ".utf8)
    static let contentLengthField = Array("Content-Length: ".utf8)
    static let crlf: [UInt8] = [0x0D, 0x0A]
    static let cacheStatusLines: [CacheStatus: [UInt8]] = Dictionary(uniqueKeysWithValues: CacheStatus.allCases.map {
        ($0, Array("X-Proxy-Cache: \($0.rawValue)\r\n".utf8))
    })

    /// The head as stored, after its metadata was read from it: no Age (the metadata keeps its
    /// value; each answer computes its own), X-Proxy-Cache or Content-Length (each answer states
    /// the stored body's size), so a hit appends its fields without parsing the head.
    static func storableHead(_ head: [UInt8]) -> [UInt8] {
        withoutFields(head, ["age", "x-proxy-cache", "content-length"])
    }

    /// `head` without the field lines named in `lowercaseNames`.
    static func withoutFields(_ head: [UInt8], _ lowercaseNames: [String]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(head.count)
        var lineStart = 0
        var i = 0
        while i + 1 < head.count {
            guard head[i] == 0x0D, head[i + 1] == 0x0A else { i += 1; continue }
            let line = head[lineStart..<(i + 2)]
            if lineStart == 0 || !lowercaseNames.contains(where: { startsField(line, $0) }) { out.append(contentsOf: line) }
            i += 2
            lineStart = i
        }
        return out
    }
}
