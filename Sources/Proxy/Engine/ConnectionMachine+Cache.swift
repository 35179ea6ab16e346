import SafeParse

/// The cache's part of a connection (RFC 9111 as a shared cache): lookups before connecting,
/// answers from stored responses, storing a response while it streams to the client, validation
/// of stale entries, stale answers when the origin cannot be reached, invalidation after unsafe
/// methods, and the wait of concurrent misses for one fill (stampede protection).
///
/// Every cache decision is `ResponseCache`'s; this file only sequences them with the
/// exchange. Nothing here holds a store lock: a hit is a pinned entry, a fill a private
/// reservation that becomes visible at `commit`, so a response that fails midway is never seen.
extension ConnectionMachine {
    /// What the cache does for the exchange in flight. A class, so the exchange (copied often
    /// as a value) carries one reference instead of the request head and the hit; it belongs
    /// to one exchange of one machine and is never shared.
    final class CacheExchange {
        /// The stored-GET key (normalized absolute URI).
        var key: [UInt8]
        /// The request head, kept for storability, Vary and conditional answers at response time.
        var request: RequestHead
        /// Wall-clock seconds when the request was received (RFC 9111 §4.2.3 request_time).
        var requestTime: Int64
        /// A stored entry that is not fresh: being validated, or kept to answer stale if the
        /// origin cannot be reached.
        var candidate: CacheHit?
        /// The request sent upstream carries our validators for `candidate`.
        var validating = false
        /// Our validator field lines for `candidate` (with `validating`).
        var validators: [UInt8] = []
        /// The origin's 304 refreshed `candidate`; the client is answered from it.
        var answerFromCandidate = false
        /// The response being stored (nil: not storable, too large, or not a GET).
        var writer: CacheWriter?
        /// This exchange holds the store's fill marker for `key` (stampede leader).
        var claimedFill = false
        /// A follower waiting for another exchange's fill since this time (monotonic ns).
        var waitingSince: UInt64?
        /// The fill this exchange waited for ended without a usable entry: fetch without
        /// claiming, so waiters released together do not queue behind each other.
        var fillFailed = false
        /// A background refresh (RFC 5861 stale-while-revalidate): the client was already
        /// answered from `candidate`; the origin's response only refreshes the store and is
        /// never relayed, and a failure ends the refresh quietly (`endBackgroundRefresh`).
        var background = false
        /// Outcomes of a background refresh: the 304 refreshed the entry / the new response
        /// was stored.
        var refreshed = false
        var stored = false

        init(key: [UInt8], request: RequestHead, requestTime: Int64) {
            self.key = key
            self.request = request
            self.requestTime = requestTime
        }
    }

    /// Longest a request waits for another connection's fill of the same key before fetching
    /// for itself (5 s, as nginx's proxy_cache_lock_timeout), and the interval between its
    /// looks at the store.
    public static let cacheWaitLimitMs: UInt64 = 5_000
    public static let cacheWaitPollMs: UInt64 = 10

    // MARK: - Request side

    /// Called with an accepted absolute-form request head. Returns true when the exchange was
    /// answered from the cache or is waiting for another fill; false to go to the origin.
    mutating func consultCache(_ head: RequestHead, uri: AbsoluteURI, now: UInt64, into out: inout [ConnectionAction]) -> Bool {
        // The exchange is changed in place (`exchange?.field = ...`): copying it out and back
        // would retain and release every field it holds, on every request.
        guard let cache = engine.cache, exchange != nil else { return false }
        if Invalidation.isUnsafe(head.method) { exchange?.invalidationRequest = head }
        guard let key = cache.key(for: head) else { return false }
        exchange?.cacheStatus = .miss
        exchange?.cache = CacheExchange(key: key, request: head, requestTime: engine.wallSeconds(now))
        return lookUpCache(now: now, into: &out)
    }

    /// One look at the store for the exchange's key: answer, wait, or go to the origin.
    private mutating func lookUpCache(now: UInt64, into out: inout [ConnectionAction]) -> Bool {
        guard let cache = engine.cache, let method = exchange?.method, let clientPersistent = exchange?.clientPersistent,
              let state = exchange?.cache else { return false }
        let wallNow = engine.wallSeconds(now)
        let lookup = cache.lookup(key: state.key, request: state.request, wallNow: wallNow)
        switch lookup {
        case .fresh(let hit):
            logLookup(state.key, "HIT", age: hit.age, into: &out)
            answerFromCache(hit, status: .hit, now: now, into: &out)
            return true
        case .staleAllowed(let hit):
            logLookup(state.key, "STALE", age: hit.age, into: &out)
            answerFromCache(hit, status: .stale, now: now, into: &out)
            return true
        case .staleWhileRevalidate(let hit, let validators):
            logLookup(state.key, "STALE", age: hit.age, into: &out)
            // One connection refreshes the entry (it holds the fill marker); the others, and
            // HEAD requests (whose upstream answer has no body to store), only answer stale.
            let deadline = now &+ (config.timeouts.upstreamConnectMs &+ config.timeouts.upstreamResponseMs) &* 1_000_000
            guard method == .get, cache.store.claimFill(key: state.key, now: now, deadline: deadline) else {
                answerFromCache(hit, status: .stale, now: now, into: &out)
                return true
            }
            state.claimedFill = true
            answerStaleAndRefresh(hit, validators: validators, now: now, into: &out)
            return false // on to the origin, for the store only
        case .stale(let hit, let validators):
            state.candidate = hit
            if let validators {
                state.validating = true
                state.validators = validators
            }
            logLookup(state.key, "EXPIRED", age: hit.age, into: &out)
            if cache.onlyIfCached(state.request) {
                exchange?.cache = state
                respondError(504, detail: "The stored response is stale (only-if-cached).", reason: "cache_only_if_cached_stale",
                             now: now, close: !clientPersistent, into: &out)
                return true
            }
        case .miss:
            logLookup(state.key, "MISS", age: nil, into: &out)
            if cache.onlyIfCached(state.request) {
                exchange?.cache = state
                respondError(504, detail: "The response is not in the cache (only-if-cached).", reason: "cache_only_if_cached_miss",
                             now: now, close: !clientPersistent, into: &out)
                return true
            }
        }
        // Stampede protection: one exchange fetches; the others wait for its entry.
        if method == .get && !state.fillFailed && cache.shouldCollapse(key: state.key, wallNow: wallNow) {
            let deadline = now &+ (config.timeouts.upstreamConnectMs &+ config.timeouts.upstreamResponseMs) &* 1_000_000
            if cache.store.claimFill(key: state.key, now: now, deadline: deadline) {
                // Another connection's fill may have stored the entry and given up its claim
                // between our look and this claim: look once more, or we would fetch it again.
                if case .fresh(let hit) = cache.lookup(key: state.key, request: state.request, wallNow: wallNow) {
                    cache.store.finishFill(key: state.key)
                    exchange?.cache = state
                    logLookup(state.key, "HIT", age: hit.age, into: &out)
                    answerFromCache(hit, status: .hit, now: now, into: &out)
                    return true
                }
                state.claimedFill = true
            } else if state.waitingSince == nil || now &- (state.waitingSince ?? now) < Self.cacheWaitLimitMs &* 1_000_000 {
                if state.waitingSince == nil { state.waitingSince = now }
                state.candidate = nil
                state.validating = false
                state.validators = []
                exchange?.cache = state
                phase = .awaitingCache
                arm(.cacheWait, Self.cacheWaitPollMs, into: &out)
                return true
            }
        }
        exchange?.cache = state
        return false
    }

    /// The cache-wait timer fired: look again. A fill that ended without a usable entry
    /// releases the waiter to fetch for itself (without claiming).
    mutating func cacheWaitFired(now: UInt64, into out: inout [ConnectionAction]) {
        guard phase == .awaitingCache, let cache = engine.cache, let state = exchange?.cache else { return }
        let filling = cache.store.isFilling(key: state.key, now: now)
        let waited = now &- (state.waitingSince ?? now)
        if filling && waited < Self.cacheWaitLimitMs &* 1_000_000 {
            // The fill is still running: poll again later without looking up or claiming (one
            // store lock per poll, not three). Its entry is served once the fill has ended.
            arm(.cacheWait, Self.cacheWaitPollMs, into: &out)
            return
        }
        if !filling {
            exchange?.cache?.fillFailed = true
        }
        if waited >= Self.cacheWaitLimitMs &* 1_000_000 {
            exchange?.cache?.fillFailed = true
            out.append(.log(LogRecord(.warn, "cache_wait_timeout", [("key", .bytes(state.key)), ("waited_ms", .int(Int(waited / 1_000_000)))])))
        }
        let hadIdleUpstream: Bool
        if case .connected = upstream { hadIdleUpstream = true } else { hadIdleUpstream = false }
        phase = .connecting
        if lookUpCache(now: now, into: &out) { return }
        guard case .absolute(let uri) = state.request.target else { return }
        let connection = (try? ConnectionOptions.parse(state.request.fields)) ?? ConnectionOptions()
        buildUpstreamHead(state.request, uri: uri, connection: connection)
        connectForExchange(hadIdleUpstream: hadIdleUpstream, now: now, into: &out)
    }

    /// The head to send upstream, built only once the cache did not answer: the rewritten
    /// request, with our validators instead of the client's conditionals when validating.
    mutating func buildUpstreamHead(_ head: RequestHead, uri: AbsoluteURI, connection: ConnectionOptions) {
        var upstreamHead = RequestRewriter.upstreamHead(head, uri: uri, connection: connection, viaLine: engine.viaLine)
        if let state = exchange?.cache, state.validating || state.background, let cache = engine.cache {
            // (A background refresh never forwards the client's own conditionals: the answer
            // must be about the stored entry, not the client's copy.)
            upstreamHead = cache.validationHead(upstreamHead, validators: state.validators)
        }
        exchange?.upstreamHead = upstreamHead
    }

    private func logLookup(_ key: [UInt8], _ result: String, age: Int64?, into out: inout [ConnectionAction]) {
        guard config.logLevel == .debug else { return } // not even built when it would be dropped
        var fields: [(key: String, value: LogValue)] = [("key", .bytes(key)), ("result", .text(result))]
        if let age { fields.append(("age_ms", .int(Int(age) * 1000))) }
        out.append(.log(LogRecord(.debug, "cache_lookup", fields)))
    }

    /// Answers the exchange from a stored response (a full response, or 304 to a matching
    /// conditional request) and moves on to the next request.
    private mutating func answerFromCache(_ hit: CacheHit, status: CacheStatus, now: UInt64, into out: inout [ConnectionAction]) {
        guard writeCachedAnswer(hit, status: status, now: now, into: &out) else { return }
        finishCachedExchange(now: now, into: &out)
    }

    /// Writes the answer built from `hit` (head, then the stored body straight from the
    /// arena) and records it in the exchange: status, bytes, cache status, and whether the
    /// client connection persists. False when there is no cached exchange to answer.
    private mutating func writeCachedAnswer(_ hit: CacheHit, status: CacheStatus, now: UInt64, into out: inout [ConnectionAction]) -> Bool {
        guard let cache = engine.cache, let state = exchange?.cache, let persistent = exchange?.clientPersistent,
              let clientVersion = exchange?.clientVersion else { return false }
        let keepAlive = persistent && !clientEOF
        let answer = cache.response(for: hit, request: state.request, status: status, wallNow: engine.wallSeconds(now),
                                    keepAlive: keepAlive, clientVersion: clientVersion, viaLine: engine.viaLine)
        out.append(.writeClient(answer.head))
        if let body = answer.body { out.append(.writeClientStored(body)) }
        exchange?.status = answer.status
        exchange?.bytesToClient += answer.head.count + (answer.body?.count ?? 0)
        exchange?.cacheStatus = status
        exchange?.clientPersistent = keepAlive
        return true
    }

    /// Ends an exchange answered without an origin response (a hit, a stale answer): the
    /// upstream connection, if any, is left as it is (idle, or closed by the caller).
    private mutating func finishCachedExchange(now: UInt64, into out: inout [ConnectionAction]) {
        guard let ex = exchange.take() else { return }
        logComplete(ex, now: now, into: &out)
        phase = .awaitingRequest
        if !ex.clientPersistent || clientEOF {
            closeAll(into: &out)
            return
        }
        prepareNextRequest(now: now, into: &out)
    }

    /// stale-while-revalidate: answers the client from `hit` now, as its exchange (logged and
    /// counted like any other), then keeps the exchange as a background refresh of the entry,
    /// on this connection: the caller sends the request upstream with `validators`. A client
    /// that will not send another request gets EOF at once (half-close), so it never waits
    /// for the refresh. Later client bytes wait in the backlog until the refresh ends.
    private mutating func answerStaleAndRefresh(_ hit: CacheHit, validators: [UInt8]?, now: UInt64, into out: inout [ConnectionAction]) {
        guard writeCachedAnswer(hit, status: .stale, now: now, into: &out), let ex = exchange, let state = ex.cache else { return }
        logComplete(ex, now: now, releasingFill: false, into: &out)
        if !ex.clientPersistent { out.append(.shutdownClientWrite) }
        state.background = true
        state.candidate = hit
        state.validating = validators != nil
        state.validators = validators ?? []
        out.append(.log(LogRecord(.debug, "cache_refresh_start", [("key", .bytes(state.key))])))
    }

    /// True while the exchange is a background refresh (the client was answered already).
    var isBackgroundRefresh: Bool { exchange?.cache?.background == true }

    /// Ends a background refresh: the upstream connection goes back to the pool (after a
    /// complete, reusable response) or is closed, the fill marker is given up, and the
    /// connection goes on with the client's next request (or closes: a client that will send
    /// none, or whose connection failed). `outcome` is logged; a failure never reaches the
    /// client, which has its answer.
    mutating func endBackgroundRefresh(_ outcome: String, failed: Bool, clientGone: Bool = false, now: UInt64,
                                       into out: inout [ConnectionAction]) {
        guard let ex = exchange, let state = ex.cache, state.background else { return }
        out.append(.log(LogRecord(failed ? .warn : .info, "cache_refresh", [("key", .bytes(state.key)), ("outcome", .text(outcome))])))
        state.writer = nil // abandoned unless committed: nothing partial is stored
        releaseFill(ex, now: now)
        exchange = nil
        switch upstream {
        case .connected where !failed && ex.upstreamPersistent && ex.responseComplete:
            upstream = .none
            out.append(.releaseUpstream)
        case .connected, .connecting:
            upstream = .none
            out.append(.closeUpstream)
        case .none:
            break
        }
        if clientGone || !ex.clientPersistent || clientEOF {
            closeAll(into: &out)
            return
        }
        prepareNextRequest(now: now, into: &out)
    }

    // MARK: - Response side

    /// The origin's final response head arrived. Returns what to do with it: relay it (and
    /// maybe store it), or absorb it (a 304 to our validation: the client is answered from the
    /// refreshed entry when the response completes).
    mutating func cacheResponseHead(_ head: ResponseHead, now: UInt64, into out: inout [ConnectionAction]) -> Bool {
        guard let cache = engine.cache, let ex = exchange else { return false }
        if let request = ex.invalidationRequest {
            // RFC 9111 §4.4: a non-error response to an unsafe method invalidates the target
            // and same-host Location / Content-Location targets (applied when it completes).
            exchange?.invalidationKeys = cache.invalidationKeys(request: request, response: head)
        }
        guard let state = ex.cache else { return false }
        let wallNow = engine.wallSeconds(now)
        if state.background {
            // Nothing goes to the client. A 304 refreshes the entry; a new response replaces
            // it if storable; an error (5xx) leaves the stale entry as it is.
            if state.validating, head.status == 304, let candidate = state.candidate {
                let refreshed = cache.refresh(candidate, with: head, key: state.key, request: state.request,
                                              requestTime: state.requestTime, responseTime: wallNow)
                state.refreshed = refreshed != nil
                noteStoreChanged(cache)
            } else if head.status != 304, !(500...599).contains(head.status) {
                state.writer = cache.beginStore(key: state.key, request: state.request, response: head,
                                                requestTime: state.requestTime, responseTime: wallNow)
            }
            exchange?.cache = state
            return true
        }
        if state.validating, head.status == 304, let candidate = state.candidate {
            let refreshed = cache.refresh(candidate, with: head, key: state.key, request: state.request,
                                          requestTime: state.requestTime, responseTime: wallNow)
            state.candidate = refreshed ?? candidate
            state.answerFromCandidate = true
            noteStoreChanged(cache)
            exchange?.cache = state
            if refreshed == nil {
                // The 304 names other validators than the entry's: it was removed, and the
                // old copy is all there is to answer with.
                exchange?.cacheStatus = .stale
                out.append(.log(LogRecord(.warn, "cache_revalidation_mismatch", [("key", .bytes(state.key))])))
            }
            out.append(.log(LogRecord(.debug, "cache_revalidated", [("key", .bytes(state.key)), ("stored", .int(refreshed == nil ? 0 : 1))])))
            return true
        }
        if let candidate = state.candidate, (500...504).contains(head.status),
           cache.canServeStale(candidate, request: state.request, wallNow: wallNow, error: true) {
            // RFC 5861 stale-if-error: the stale entry answers instead of the origin's error.
            state.answerFromCandidate = true
            state.validating = false
            exchange?.cache = state
            exchange?.cacheStatus = .stale
            out.append(.log(LogRecord(.warn, "cache_stale", [("key", .bytes(state.key)), ("reason", .text("origin status \(head.status)"))])))
            return true
        }
        state.candidate = nil
        if ex.method == .get {
            state.writer = cache.beginStore(key: state.key, request: state.request, response: head,
                                            requestTime: state.requestTime, responseTime: wallNow)
        }
        exchange?.cache = state
        return false
    }

    /// A piece of the response body, as decoded, goes into the entry being stored.
    mutating func cacheResponseBody(_ piece: Span<UInt8>) {
        guard let writer = exchange?.cache?.writer else { return }
        if !writer.append(piece) {
            exchange?.cache?.writer = nil
        }
    }

    /// The response completed. Commits the stored entry (now visible to every connection and
    /// process) and answers an absorbed response from the cache. Returns true when it
    /// answered the client itself.
    mutating func cacheResponseComplete(now: UInt64, into out: inout [ConnectionAction]) -> Bool {
        guard let cache = engine.cache, let ex = exchange else { return false }
        if !ex.invalidationKeys.isEmpty {
            var removed = 0
            for key in ex.invalidationKeys { removed += cache.store.remove(key: key) }
            exchange?.invalidationKeys = []
            if removed > 0 {
                noteStoreChanged(cache)
                out.append(.log(LogRecord(.debug, "cache_invalidate", [("entries", .int(removed))])))
            }
        }
        guard let state = ex.cache else { return false }
        if let writer = state.writer {
            state.writer = nil
            if writer.commit() {
                state.stored = true
                engine.stats.cacheStores.add(1)
                noteStoreChanged(cache)
                out.append(.log(LogRecord(.debug, "cache_store", [("key", .bytes(state.key)), ("size", .int(ex.responseBodyBytes))])))
            }
        }
        exchange?.cache = state
        if state.background {
            let outcome = state.refreshed ? "revalidated" : state.stored ? "stored" : "not stored (status \(ex.status))"
            endBackgroundRefresh(outcome, failed: false, now: now, into: &out)
            return true
        }
        guard state.answerFromCandidate, let candidate = state.candidate else { return false }
        let status: CacheStatus = ex.cacheStatus == .stale ? .stale : .revalidated
        answerFromCandidateAfterOrigin(candidate, status: status, now: now, into: &out)
        return true
    }

    /// Answers from the candidate once the origin's (absorbed) response is complete, keeping
    /// the upstream connection if it may be reused.
    private mutating func answerFromCandidateAfterOrigin(_ hit: CacheHit, status: CacheStatus, now: UInt64, into out: inout [ConnectionAction]) {
        guard let ex = exchange else { return }
        if case .connected = upstream {
            upstream = .none
            out.append(ex.upstreamPersistent ? .releaseUpstream : .closeUpstream)
        }
        answerFromCache(hit, status: status, now: now, into: &out)
    }

    /// The origin could not be reached. Answers with a stale entry where RFC 9111 §4.2.4 (a
    /// disconnected cache) and the entry's directives allow it. Returns true when it answered.
    mutating func answerStaleOnFailure(_ reason: String, now: UInt64, into out: inout [ConnectionAction]) -> Bool {
        guard let cache = engine.cache, let state = exchange?.cache, let candidate = state.candidate, !state.background,
              exchange?.requestComplete == true,
              cache.canServeStale(candidate, request: state.request, wallNow: engine.wallSeconds(now), error: true)
        else { return false }
        out.append(.log(LogRecord(.warn, "cache_stale", [("key", .bytes(state.key)), ("reason", .text(reason))])))
        exchange?.cache?.writer = nil
        answerFromCache(candidate, status: .stale, now: now, into: &out)
        return true
    }

    /// Gives up the fill marker of an exchange that ends (stored or not), so waiters move on.
    func releaseFill(_ ex: Exchange, now: UInt64) {
        guard let cache = engine.cache, let state = ex.cache, state.claimedFill else { return }
        cache.store.finishFill(key: state.key)
    }

    /// Counts the exchange's cache outcome (the `cache=` of its request_complete line).
    func countCacheStatus(_ status: CacheStatus) {
        guard engine.cache != nil else { return }
        switch status {
        case .hit: engine.stats.cacheHits.add(1)
        case .revalidated: engine.stats.cacheRevalidated.add(1)
        case .stale: engine.stats.cacheStale.add(1)
        case .miss: engine.stats.cacheMisses.add(1)
        case .bypass: engine.stats.cacheBypass.add(1)
        }
    }

    /// Mirrors the store's accounting into the shared gauges read by the stats endpoints.
    func noteStoreChanged(_ cache: ResponseCache) {
        engine.stats.cacheBytes.store(cache.store.usedBytes)
        engine.stats.cacheEntries.store(cache.store.entryCount)
        engine.stats.cacheEvictions.store(cache.store.evictions)
    }
}
