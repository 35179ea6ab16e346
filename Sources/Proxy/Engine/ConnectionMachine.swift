import SafeParse

/// The whole HTTP logic of one client connection, sans I/O.
///
/// Drivers feed it events (bytes or EOF from either side, upstream connected or failed, the
/// timer fired) and carry out the actions it appends to `out`, in order. It never blocks or
/// touches a descriptor, and its time is the event's (callers pass `now`, monotonic
/// nanoseconds; the one exception is a request's completion time, `EngineContext.completionTime`,
/// for its latency), so the same machine serves every concurrency model and the tests drive it
/// with scripted events.
///
/// Flow control: `wantsClientBytes` and `wantsUpstreamBytes` tell the driver which side to
/// read. Bytes the machine cannot use yet (a pipelined request, a body while the upstream
/// connects) wait in `backlog`, and the client is not read again until it drains, so at most
/// one read's worth of bytes is buffered per direction.
public struct ConnectionMachine {
    enum Phase: Equatable {
        /// Waiting for or reading a request head.
        case awaitingRequest
        /// Head accepted; waiting for another connection's fill of the same cache key.
        case awaitingCache
        /// Head accepted; upstream connection being opened.
        case connecting
        /// Request sent (body may still stream); response being relayed.
        case exchanging
        /// A CONNECT tunnel is open: bytes pass through unchanged both ways.
        case tunneling
        /// Finished; the client close was issued.
        case closed
    }

    /// How the response body is framed towards the client.
    enum ClientFraming: Equatable {
        case none, passthrough, chunked, closeDelimited
    }

    /// Bookkeeping of the request in flight.
    struct Exchange {
        var method: Method
        var host: String
        var port: UInt16
        var startedAt: UInt64
        var clientVersion: HTTPVersion
        var clientPersistent: Bool
        var upstreamHead: [UInt8]
        var requestChunked: Bool
        var requestComplete = false
        var requestBodyBytes = 0
        var responseHeadSent = false
        var responseFraming = ClientFraming.none
        var responseComplete = false
        var upstreamPersistent = false
        var status = 0
        var responseBodyBytes = 0
        var bytesToClient = 0
        var reusedUpstream = false
        /// True once the request head was written to an upstream connection.
        var sentUpstream = false
        var retried = false
        /// A CONNECT request: the upstream connection becomes a tunnel.
        var isTunnel = false
        /// The `X-Proxy-Cache` / `cache=` outcome.
        var cacheStatus = CacheStatus.bypass
        /// The cache's state for a GET or HEAD it looked up (nil: not cacheable).
        var cache: CacheExchange?
        /// An unsafe method's request, whose target is invalidated after a non-error response (§4.4).
        var invalidationRequest: RequestHead?
        var invalidationKeys: [[UInt8]] = []
        var key: String { "\(host):\(port)" }
    }

    enum Upstream: Equatable {
        case none
        case connecting(key: String)
        case connected(key: String)
    }

    public let engine: EngineContext
    public let client: SocketAddress
    /// `client` as text, formatted once for the connection's log lines.
    let clientText: String
    var phase = Phase.awaitingRequest
    /// The parsers live out of line and only while needed, so an idle connection holds
    /// neither (see `releaseIdleMemory`); the accessors create them on first use and copy on
    /// write, so the machine keeps value semantics.
    private var requestParserBox: ParserBox<RequestParser>?
    private var responseParserBox: ParserBox<ResponseParser>?
    var backlog: [UInt8] = []
    var exchange: Exchange?
    var upstream = Upstream.none
    var clientEOF = false
    var timer: ConnectionTimer?
    /// True once any byte of the current request arrived (switches idle to head timeout).
    var requestStarted = false
    /// A tunnel's origin sent EOF (its client side is half-closed).
    var tunnelUpstreamEOF = false

    public init(engine: EngineContext, client: SocketAddress) {
        self.engine = engine
        self.client = client
        clientText = client.description
    }

    // Reads borrow the boxed parser in place (`_read`): a getter would copy the whole parser,
    // buffers and all, for every `requestParser.head` or `.isIdle`.
    var requestParser: RequestParser {
        _read {
            if let box = requestParserBox { yield box.parser } else { yield RequestParser(limits: config.requestLimits) }
        }
        _modify {
            let limits = config.requestLimits
            let box = Self.unique(&requestParserBox) { RequestParser(limits: limits) }
            yield &box.parser
        }
        set { Self.store(newValue, in: &requestParserBox) }
    }

    var responseParser: ResponseParser {
        _read {
            if let box = responseParserBox { yield box.parser } else { yield ResponseParser(limits: config.responseLimits) }
        }
        _modify {
            let limits = config.responseLimits
            let box = Self.unique(&responseParserBox) { ResponseParser(limits: limits) }
            yield &box.parser
        }
        set { Self.store(newValue, in: &responseParserBox) }
    }

    /// Puts `parser` in the box in `slot` when this machine alone holds it (a new parser per
    /// response then costs no allocation), else in a new box.
    private static func store<P>(_ parser: P, in slot: inout ParserBox<P>?) {
        if isKnownUniquelyReferenced(&slot), let box = slot {
            box.parser = parser
        } else {
            slot = ParserBox(parser)
        }
    }

    /// The box in `slot`, created (or copied, when shared with a copy of the machine) first.
    /// Uniqueness is checked before the box is bound to a name: a second reference held while
    /// checking would make every box look shared, and every parse call copy its parser.
    private static func unique<P>(_ slot: inout ParserBox<P>?, _ make: () -> P) -> ParserBox<P> {
        if isKnownUniquelyReferenced(&slot), let box = slot { return box }
        let box = ParserBox(slot?.parser ?? make())
        slot = box
        return box
    }

    /// Frees what an idle keep-alive connection does not need: both parsers and the backlog's
    /// capacity. Only between requests with nothing buffered; the next request allocates them
    /// again. Drivers call it for connections that stay idle (the epoll loop's idle sweep).
    /// Gives an idle, reusable upstream connection back to the driver's pool, so a keep-alive
    /// client that stays quiet does not hold an origin connection (the epoll loop's idle sweep
    /// calls it; the next request takes one from the pool again).
    public mutating func detachIdleUpstream(into out: inout [ConnectionAction]) {
        guard upstreamIsIdle else { return }
        upstream = .none
        out.append(.releaseUpstream)
    }

    /// Returns true when it released anything.
    @discardableResult
    public mutating func releaseIdleMemory() -> Bool {
        guard isBetweenRequests, exchange == nil else { return false }
        var released = false
        if requestParserBox != nil, requestParser.isIdle {
            requestParserBox = nil
            released = true
        }
        if responseParserBox != nil, responseParser.isIdle {
            responseParserBox = nil
            released = true
        }
        if backlog.capacity > 0 {
            backlog = []
            released = true
        }
        return released
    }

    var config: ProxyConfiguration { engine.config }
    /// True when INFO lines are written (`--log-level` info or debug). Per-request INFO records
    /// (request_start, server_connect, server_response, request_complete, tunnel_open) are not
    /// even built otherwise: at `warn` a request allocates no log record.
    var logsInfo: Bool { engine.config.logLevel <= .info }
    var viaName: String { engine.config.viaName }

    /// True while the machine will consume more client bytes now.
    public var wantsClientBytes: Bool { phase != .closed && backlog.isEmpty && !clientEOF }
    /// True while bytes from the upstream are expected (or its close should be noticed).
    public var wantsUpstreamBytes: Bool {
        if case .connected = upstream { return phase != .closed && !tunnelUpstreamEOF }
        return false
    }
    public var isClosed: Bool { phase == .closed }
    /// True when the upstream connection carries no exchange and its last response allowed
    /// reuse: it may go back to the driver's pool (`releaseUpstream`).
    var upstreamIsIdle: Bool {
        if case .connected = upstream { return exchange == nil && phase == .awaitingRequest }
        return false
    }
    /// True on a keep-alive connection with no request in progress (safe to close on drain).
    public var isBetweenRequests: Bool { phase == .awaitingRequest && !requestStarted && backlog.isEmpty }

    /// True when the client is not expected to send anything more: nothing is buffered, the
    /// request parser is between messages and no request's body is still due. A driver that
    /// also knows the client socket had nothing unread at its last read (and has had no
    /// readiness report since) may close it without a lingering-close drain: the close cannot
    /// meet unread bytes (and answer them with a reset) unless the client sends after its
    /// complete request, which it has no reason to (nginx's `lingering_close on` heuristic).
    public var clientInputComplete: Bool {
        backlog.isEmpty && (exchange?.requestComplete ?? true) && requestParser.isBetweenMessages
    }

    /// True when the current exchange, sent on a reused upstream connection that then fails
    /// before any answer, would be retried once on a new connection (`upstreamLost`): an
    /// idempotent request without a body, complete, not retried yet. A driver that cannot rule
    /// out that a pooled connection was closed by its origin a moment ago checks the
    /// connection before reuse only when this is false (the epoll loop's pool).
    public var retriesFailedReuse: Bool {
        guard let ex = exchange else { return false }
        return Self.mayRetry(ex)
    }

    /// The request-side half of the retry rule, shared by `retriesFailedReuse` and `upstreamLost`.
    private static func mayRetry(_ ex: Exchange) -> Bool {
        !ex.retried && ex.method.isIdempotent && ex.requestBodyBytes == 0 && ex.requestComplete
    }

    // MARK: - Events

    /// A client connection was accepted. Checks access and arms the head timer.
    public mutating func start(now: UInt64, into out: inout [ConnectionAction]) {
        guard engine.isAllowed(client) else {
            out.append(.log(LogRecord(.warn, "client_denied", [("client", .text(clientText))])))
            respondError(403, detail: "Access denied: this proxy only serves allowed clients.", reason: "client_not_allowed",
                         now: now, close: true, into: &out)
            return
        }
        arm(.clientHead, config.timeouts.clientHeadMs, into: &out)
    }

    public mutating func clientReceived(_ bytes: Span<UInt8>, now: UInt64, into out: inout [ConnectionAction]) {
        guard phase != .closed, bytes.count > 0 else { return }
        engine.stats.bytesFromClients.add(bytes.count, ordering: .relaxed)
        backlog.append(bytes, 0..<bytes.count)
        processClient(now: now, into: &out)
    }

    public mutating func clientClosed(now: UInt64, into out: inout [ConnectionAction]) {
        guard phase != .closed else { return }
        clientEOF = true
        switch phase {
        case .awaitingRequest:
            processClient(now: now, into: &out)
            guard phase == .awaitingRequest else { return }
            if !backlog.isEmpty || !requestParser.isIdle {
                out.append(.log(LogRecord(.warn, "client_closed", [("reason", .text("request truncated")), ("client", .text(clientText))])))
            }
            closeAll(into: &out)
        case .tunneling:
            tunnelClientClosed(now: now, into: &out)
        case .awaitingCache, .connecting, .exchanging:
            if exchange?.requestComplete != true {
                out.append(.log(LogRecord(.warn, "client_closed", [("reason", .text("closed during request body"))])))
                abort(now: now, into: &out)
            }
            // A client may half-close after a complete request: the response is still delivered.
        case .closed:
            break
        }
    }

    /// A write to the client failed (reset, broken pipe): nothing more can be delivered.
    public mutating func clientFailed(_ message: String, now: UInt64, into out: inout [ConnectionAction]) {
        guard phase != .closed else { return }
        if phase == .tunneling {
            closeTunnel("client error: \(message)", now: now, into: &out)
            return
        }
        out.append(.log(LogRecord(.warn, "client_error", [("error", .text(message))])))
        if isBackgroundRefresh {
            endBackgroundRefresh("client error", failed: true, clientGone: true, now: now, into: &out)
            return
        }
        abort(now: now, into: &out)
    }

    /// The upstream connection asked for is ready: a new one, or (`reused`) an idle one the
    /// driver took from its pool. A request that fails on a reused connection before any
    /// response byte is retried once on a new one if it is idempotent.
    public mutating func upstreamConnected(reused: Bool = false, now: UInt64, into out: inout [ConnectionAction]) {
        guard phase == .connecting, case .connecting(let key) = upstream, var ex = exchange else { return }
        upstream = .connected(key: key)
        responseParser = ResponseParser(limits: config.responseLimits)
        if reused {
            engine.stats.upstreamReused.add(1, ordering: .relaxed)
        } else {
            engine.stats.upstreamConnectsNew.add(1, ordering: .relaxed)
        }
        ex.reusedUpstream = reused
        exchange = ex
        if ex.isTunnel {
            openTunnel(now: now, into: &out)
            return
        }
        sendRequestHead(now: now, into: &out)
        processClient(now: now, into: &out)
    }

    public mutating func upstreamFailed(_ failure: UpstreamFailure, now: UInt64, into out: inout [ConnectionAction]) {
        guard let ex = exchange else {
            upstream = .none
            return
        }
        upstream = .none
        if phase == .connecting {
            out.append(.log(LogRecord(.warn, "server_connect_failed", [("host", .text(ex.host)), ("port", .int(Int(ex.port))), ("error", .text(failure.message))])))
            if answerStaleOnFailure("connect failed: \(failure.message)", now: now, into: &out) {
                processClient(now: now, into: &out)
                return
            }
            let status = failure == .timeout ? 504 : 502
            let detail = failure == .timeout
                ? "Timed out connecting to origin server: \(ex.host)"
                : "Could not connect to origin server: \(ex.host)"
            respondError(status, detail: detail, reason: "upstream_connect_failed", now: now,
                         close: !ex.requestComplete || !ex.clientPersistent, into: &out)
        } else if phase == .exchanging {
            upstreamLost(failure.message, now: now, into: &out)
        } else if phase == .tunneling {
            closeTunnel("origin error: \(failure.message)", now: now, into: &out)
            return
        }
        processClient(now: now, into: &out)
    }

    public mutating func upstreamReceived(_ bytes: Span<UInt8>, now: UInt64, into out: inout [ConnectionAction]) {
        guard phase != .closed, case .connected = upstream else { return }
        if phase == .tunneling {
            tunnelFromOrigin(bytes, into: &out)
            return
        }
        guard phase == .exchanging, exchange != nil else {
            // An idle upstream connection must not send anything: drop it.
            upstream = .none
            out.append(.closeUpstream)
            return
        }
        var offset = 0
        while phase == .exchanging, exchange?.responseComplete == false {
            let step: ParseStep
            do {
                step = try responseParser.parse(bytes.extracting(offset...))
            } catch {
                badUpstreamResponse(error, now: now, into: &out)
                return
            }
            switch step.event {
            case .headComplete:
                guard relayResponseHead(now: now, into: &out) else { return }
            case .body(let range):
                relayResponseBody(bytes.extracting((offset + range.lowerBound)..<(offset + range.upperBound)), now: now, into: &out)
            case .messageComplete:
                if responseParser.head.isInterim { break }
                responseFinished(now: now, into: &out)
            case .needMore:
                break
            }
            offset += step.consumed
            if step.event == .needMore { break }
        }
        if offset < bytes.count, phase != .closed {
            // Bytes after a complete response: the origin broke framing. Never reuse it.
            if case .connected = upstream {
                upstream = .none
                out.append(.closeUpstream)
            }
        }
        processClient(now: now, into: &out)
    }

    public mutating func upstreamClosed(now: UInt64, into out: inout [ConnectionAction]) {
        guard phase != .closed, case .connected = upstream else { return }
        if phase == .tunneling {
            tunnelOriginClosed(now: now, into: &out)
            return
        }
        guard phase == .exchanging, let ex = exchange, !ex.responseComplete else {
            upstream = .none
            out.append(.closeUpstream)
            return
        }
        if ex.responseHeadSent {
            do {
                if try responseParser.finish() == .messageComplete {
                    upstream = .none
                    out.append(.closeUpstream)
                    exchange?.upstreamPersistent = false
                    responseFinished(now: now, into: &out)
                    processClient(now: now, into: &out)
                    return
                }
            } catch {}
        }
        upstreamLost("upstream closed connection", now: now, into: &out)
        processClient(now: now, into: &out)
    }

    public mutating func timerFired(now: UInt64, into out: inout [ConnectionAction]) {
        guard let fired = timer, phase != .closed else { return }
        timer = nil
        switch fired {
        case .tunnelIdle:
            closeTunnel("idle timeout", now: now, into: &out)
        case .cacheWait:
            cacheWaitFired(now: now, into: &out)
            processClient(now: now, into: &out)
        case .clientIdle:
            closeAll(into: &out)
        case .clientHead:
            if requestStarted {
                out.append(.log(LogRecord(.warn, "client_timeout", [("phase", .text("head")), ("client", .text(clientText))])))
                respondError(408, detail: "Timed out waiting for the request head.", reason: "client_head_timeout", now: now, close: true, into: &out)
            } else {
                closeAll(into: &out)
            }
        case .upstreamConnect:
            // Drop the pending connect first: answering may close the client or start the next
            // pipelined request's connect, which a later closeUpstream would then kill.
            upstream = .none
            out.append(.closeUpstream)
            upstreamFailed(.timeout, now: now, into: &out)
        case .upstreamResponse:
            guard let ex = exchange else { return }
            out.append(.log(LogRecord(.warn, "server_timeout", [("host", .text(ex.host)), ("phase", .text("response head"))])))
            upstream = .none
            out.append(.closeUpstream)
            if answerStaleOnFailure("origin timed out", now: now, into: &out) {
                processClient(now: now, into: &out)
                return
            }
            respondError(504, detail: "Timed out waiting for origin server: \(ex.host)", reason: "upstream_timeout", now: now, close: true, into: &out)
        case .bodyIdle:
            out.append(.log(LogRecord(.warn, "body_timeout", [("client", .text(clientText))])))
            if exchange?.responseHeadSent == false {
                respondError(exchange?.requestComplete == false ? 408 : 504, detail: "Timed out during the message body.",
                             reason: "body_idle_timeout", now: now, close: true, into: &out)
                if case .connected = upstream { upstream = .none; out.append(.closeUpstream) }
            } else {
                abort(now: now, into: &out)
            }
        }
    }

    // MARK: - Client side

    /// Parses buffered client bytes as far as the phase allows. The only place that consumes
    /// `backlog`; every public event ends by calling it, and nothing it calls re-enters it.
    private mutating func processClient(now: UInt64, into out: inout [ConnectionAction]) {
        if phase == .tunneling {
            tunnelFromClient(into: &out)
            return
        }
        // Parsing runs even with no new bytes: a head-only request completes with zero bytes.
        // Move the buffer out so parsing can borrow it while `self` changes.
        var input = backlog
        backlog = []
        var consumed = 0
        defer {
            if phase != .closed {
                if consumed > 0 { input.removeFirst(consumed) }
                backlog = input
            }
        }
        while phase != .closed {
            if phase == .connecting || phase == .awaitingCache { return }
            if phase == .exchanging && (exchange?.requestComplete ?? true) { return }
            let step: ParseStep
            do {
                step = try requestParser.parse(input.span.extracting(consumed...))
            } catch {
                rejectRequest(error, now: now, into: &out)
                return
            }
            if step.consumed > 0 && phase == .awaitingRequest && !requestStarted {
                requestStarted = true
                arm(.clientHead, config.timeouts.clientHeadMs, into: &out)
            }
            let base = consumed
            consumed += step.consumed
            switch step.event {
            case .needMore:
                if phase == .awaitingRequest && clientEOF && !requestParser.isIdle {
                    return // truncated; clientClosed logs it
                }
                return
            case .headComplete:
                handleRequestHead(now: now, into: &out)
            case .body(let range):
                let piece = input.span.extracting((base + range.lowerBound)..<(base + range.upperBound))
                forwardRequestBody(piece, into: &out)
            case .messageComplete:
                guard let ex = exchange, !ex.requestComplete else { continue }
                exchange?.requestComplete = true
                if ex.requestChunked { out.append(.writeUpstream(Array("0\r\n\r\n".utf8))) }
                if ex.responseComplete {
                    finishExchange(now: now, into: &out)
                } else if !ex.responseHeadSent {
                    arm(.upstreamResponse, config.timeouts.upstreamResponseMs, into: &out)
                }
            }
        }
    }

    private mutating func rejectRequest(_ error: ParseError, now: UInt64, into out: inout [ConnectionAction]) {
        out.append(.log(LogRecord(.warn, "request_rejected", [
            ("reason", .text(error.code)), ("status", .int(error.status)), ("client", .text(clientText)),
        ])))
        if phase == .awaitingRequest || exchange?.responseHeadSent == false {
            if case .connected = upstream, phase != .awaitingRequest {
                upstream = .none
                out.append(.closeUpstream)
            }
            respondError(error.status, detail: "Bad request: \(error.reason).", reason: error.code, now: now, close: true, into: &out)
        } else {
            abort(now: now, into: &out)
        }
    }

    private mutating func handleRequestHead(now: UInt64, into out: inout [ConnectionAction]) {
        let hadIdleUpstream = upstreamIsIdle
        let head = requestParser.head
        engine.stats.totalRequests.add(1, ordering: .relaxed)
        if logsInfo {
            out.append(.log(LogRecord(.info, "request_start", [
                ("method", .bytes(Array(head.methodBytes))), ("uri", .bytes(Array(head.targetBytes))), ("client", .text(clientText)),
            ])))
        }
        let connection: ConnectionOptions
        do {
            connection = try ConnectionOptions.parse(head.fields)
        } catch {
            rejectRequest(error, now: now, into: &out)
            return
        }
        var persistent = connection.isPersistent(version: head.version)
        if head.version == .http10 && !connection.close,
           let proxyConnection = try? ConnectionOptions.parse(head.fields, fieldName: "proxy-connection"), proxyConnection.keepAlive {
            persistent = true
        }
        let bodyPending = head.framing != .none && head.framing != .contentLength(0)
        // From here on the exchange is changed in place (`exchange?.field = ...`): a copy out
        // and back would retain and release every field it holds.
        exchange = Exchange(method: head.method, host: "", port: 0, startedAt: now, clientVersion: head.version,
                            clientPersistent: persistent && !clientEOF, upstreamHead: [], requestChunked: head.framing == .chunked)
        // A request without a body is complete with its head (the parser's zero-byte
        // messageComplete that follows is then ignored).
        exchange?.requestComplete = !bodyPending
        let bytes = head.bytes.span
        switch head.target {
        case .origin, .asterisk:
            if answerAdminRequest(head, bodyPending: bodyPending, now: now, into: &out) { return }
            refuse(400, "This is a forward proxy: send requests in absolute-form (http://host/path).", "origin_form_not_proxied",
                   bodyPending: bodyPending, now: now, into: &out)
            return
        case .authority(let authority):
            // CONNECT (RFC 9110 §9.3.6): only to allowed ports, never reusing a connection,
            // and the client connection ends with the tunnel.
            let port = authority.effectivePort(default: 443)
            guard config.connectPorts.contains(port) else {
                out.append(.log(LogRecord(.warn, "connect_denied", [("port", .int(Int(port))), ("client", .text(clientText))])))
                refuse(403, "CONNECT to port \(port) is not allowed.", "connect_port_denied", bodyPending: true, now: now, into: &out)
                return
            }
            if Via.contains(head.fields, name: viaName) {
                out.append(.log(LogRecord(.warn, "loop_detected", [("via", .text(viaName))])))
                refuse(508, "Request loop detected: this request already passed through \(viaName).", "loop_detected",
                       bodyPending: true, now: now, into: &out)
                return
            }
            exchange?.host = authority.normalizedHost(in: bytes)
            exchange?.port = port
            exchange?.isTunnel = true
            exchange?.clientPersistent = false
        case .absolute(let uriParts):
            guard uriParts.scheme == .http else {
                refuse(501, "Only http:// URIs can be proxied.", "scheme_not_supported", bodyPending: bodyPending, now: now, into: &out)
                return
            }
            if Via.contains(head.fields, name: viaName) {
                out.append(.log(LogRecord(.warn, "loop_detected", [("via", .text(viaName))])))
                refuse(508, "Request loop detected: this request already passed through \(viaName).", "loop_detected",
                       bodyPending: bodyPending, now: now, into: &out)
                return
            }
            exchange?.host = uriParts.authority.normalizedHost(in: bytes)
            exchange?.port = uriParts.authority.effectivePort(default: 80)
            phase = .connecting
            if consultCache(head, uri: uriParts, now: now, into: &out) { return }
            buildUpstreamHead(head, uri: uriParts, connection: connection)
            connectForExchange(hadIdleUpstream: hadIdleUpstream, now: now, into: &out)
            return
        }
        phase = .connecting
        connectForExchange(hadIdleUpstream: hadIdleUpstream, now: now, into: &out)
    }

    /// Sends the exchange's request on the idle upstream connection to its origin, or opens
    /// one (giving an idle connection to another origin back to the pool).
    mutating func connectForExchange(hadIdleUpstream: Bool, now: UInt64, into out: inout [ConnectionAction]) {
        guard let ex = exchange else { return }
        phase = .connecting
        if case .connected(let key) = upstream, key == ex.key, !ex.isTunnel {
            exchange?.reusedUpstream = true
            engine.stats.upstreamReused.add(1, ordering: .relaxed)
            sendRequestHead(now: now, into: &out)
            return
        }
        if upstream != .none {
            // Another origin (or a tunnel): an idle connection goes back to the pool.
            out.append(hadIdleUpstream ? .releaseUpstream : .closeUpstream)
        }
        upstream = .connecting(key: ex.key)
        if logsInfo { out.append(.log(LogRecord(.info, "server_connect", [("host", .text(ex.host)), ("port", .int(Int(ex.port)))]))) }
        out.append(.connectUpstream(host: ex.host, port: ex.port, poolAllowed: true))
        arm(.upstreamConnect, config.timeouts.upstreamConnectMs, into: &out)
    }

    /// Answers a request the proxy will not forward. If its body was not read, the connection
    /// cannot be reused.
    private mutating func refuse(_ status: Int, _ detail: String, _ reason: String, bodyPending: Bool, now: UInt64, into out: inout [ConnectionAction]) {
        // Without a body the request is complete and the connection can go on.
        let close = bodyPending || !(exchange?.clientPersistent ?? false)
        respondError(status, detail: detail, reason: reason, now: now, close: close, into: &out)
    }

    private mutating func sendRequestHead(now: UInt64, into out: inout [ConnectionAction]) {
        guard let ex = exchange else { return }
        phase = .exchanging
        if ex.reusedUpstream {
            out.append(.log(LogRecord(.debug, "server_reuse", [("host", .text(ex.host)), ("port", .int(Int(ex.port)))])))
        }
        exchange?.sentUpstream = true
        responseParser.requestMethod = ex.method
        out.append(.writeUpstream(ex.upstreamHead))
        // While the client still sends a body, gaps in it are what can stall; after it, the origin.
        if ex.requestComplete {
            arm(.upstreamResponse, config.timeouts.upstreamResponseMs, into: &out)
        } else {
            arm(.bodyIdle, config.timeouts.bodyIdleMs, into: &out)
        }
    }

    private mutating func forwardRequestBody(_ piece: Span<UInt8>, into out: inout [ConnectionAction]) {
        guard piece.count > 0, let ex = exchange else { return }
        exchange?.requestBodyBytes += piece.count
        arm(.bodyIdle, config.timeouts.bodyIdleMs, into: &out)
        out.append(.writeUpstream(Self.frame(piece, chunked: ex.requestChunked)))
    }

    /// A body piece as sent on: as is, or as one chunk (`size CRLF data CRLF`, RFC 9112 §7.1).
    static func frame(_ piece: Span<UInt8>, chunked: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(piece.count + (chunked ? 20 : 0))
        if chunked {
            bytes.append(contentsOf: String(piece.count, radix: 16).utf8)
            bytes.append(contentsOf: [0x0D, 0x0A])
        }
        bytes.append(piece, 0..<piece.count)
        if chunked { bytes.append(contentsOf: [0x0D, 0x0A]) }
        return bytes
    }

    // MARK: - Upstream side

    /// Relays a response head. Returns false if the exchange ended (error answered).
    private mutating func relayResponseHead(now: UInt64, into out: inout [ConnectionAction]) -> Bool {
        guard var ex = exchange else { return false }
        let head = responseParser.head
        if head.isInterim {
            // 1xx: forward to HTTP/1.1 clients (100 Continue); 101 cannot happen as Upgrade is stripped.
            if head.status == 101 {
                badUpstreamResponse(.invalidStatusLine, now: now, into: &out)
                return false
            }
            if ex.clientVersion == .http11 {
                out.append(.writeClient(ResponseRewriter.interimHead(head)))
            }
            return true
        }
        let absorbed = cacheResponseHead(head, now: now, into: &out)
        if let current = exchange { ex = current }
        let connection = (try? ConnectionOptions.parse(head.fields)) ?? {
            var o = ConnectionOptions()
            o.close = true
            return o
        }()
        if head.framing == .chunked || head.framing == .untilClose, !ResponseRewriter.hasOnlyChunkedCoding(head) {
            badUpstreamResponse(.unsupportedTransferCoding, now: now, into: &out)
            return false
        }
        ex.upstreamPersistent = connection.isPersistent(version: head.version) && head.framing != .untilClose
        if absorbed {
            // The client is answered from the cache once this response completes.
            ex.responseFraming = .none
            ex.responseHeadSent = true
            ex.status = head.status
            exchange = ex
            arm(.bodyIdle, config.timeouts.bodyIdleMs, into: &out)
            return true
        }
        switch head.framing {
        case .none: ex.responseFraming = .none
        case .contentLength: ex.responseFraming = .passthrough
        case .chunked, .untilClose, .tunnel:
            ex.responseFraming = ex.clientVersion == .http11 ? .chunked : .closeDelimited
        }
        if ex.responseFraming == .closeDelimited || clientEOF { ex.clientPersistent = false }
        if !ex.requestComplete { ex.clientPersistent = false }
        ex.status = head.status
        ex.responseHeadSent = true
        let bytes = ResponseRewriter.clientHead(head, connection: connection, framing: ex.responseFraming,
                                                clientVersion: ex.clientVersion, keepAlive: ex.clientPersistent, viaLine: engine.viaLine,
                                                cacheStatus: ex.cacheStatus)
        ex.bytesToClient += bytes.count
        exchange = ex
        out.append(.writeClient(bytes))
        arm(.bodyIdle, config.timeouts.bodyIdleMs, into: &out)
        return true
    }

    private mutating func relayResponseBody(_ piece: Span<UInt8>, now: UInt64, into out: inout [ConnectionAction]) {
        guard piece.count > 0, let ex = exchange else { return }
        cacheResponseBody(piece)
        // An absorbed response (answered from the cache instead, or a background refresh) is
        // read, not relayed.
        if ex.cache?.answerFromCandidate == true || ex.cache?.background == true {
            exchange?.responseBodyBytes += piece.count
            arm(.bodyIdle, config.timeouts.bodyIdleMs, into: &out)
            return
        }
        let bytes = Self.frame(piece, chunked: ex.responseFraming == .chunked)
        exchange?.responseBodyBytes += piece.count
        exchange?.bytesToClient += bytes.count
        out.append(.writeClient(bytes))
        arm(.bodyIdle, config.timeouts.bodyIdleMs, into: &out)
    }

    private mutating func responseFinished(now: UInt64, into out: inout [ConnectionAction]) {
        guard let ex = exchange else { return }
        if ex.responseFraming == .chunked {
            out.append(.writeClient(Array("0\r\n\r\n".utf8)))
            exchange?.bytesToClient += 5
        }
        exchange?.responseComplete = true
        if logsInfo {
            out.append(.log(LogRecord(.info, "server_response", [("status", .int(ex.status)), ("bytes", .int(ex.responseBodyBytes))])))
        }
        if cacheResponseComplete(now: now, into: &out) { return }
        if ex.requestComplete {
            finishExchange(now: now, into: &out)
        } else {
            // The origin answered before the whole request body arrived: the rest of it cannot
            // be delimited for a next request, so both connections end here.
            exchange?.clientPersistent = false
            exchange?.upstreamPersistent = false
            finishExchange(now: now, into: &out)
        }
    }

    private mutating func badUpstreamResponse(_ error: ParseError, now: UInt64, into out: inout [ConnectionAction]) {
        guard let ex = exchange else { return }
        out.append(.log(LogRecord(.warn, "server_response_invalid", [("host", .text(ex.host)), ("reason", .text(error.code))])))
        upstream = .none
        out.append(.closeUpstream)
        if ex.responseHeadSent {
            abort(now: now, into: &out)
        } else {
            respondError(502, detail: "Malformed response from origin server: \(ex.host)", reason: "upstream_\(error.code)",
                         now: now, close: !ex.requestComplete || !ex.clientPersistent, into: &out)
        }
    }

    /// The upstream connection failed or closed before the response was complete.
    private mutating func upstreamLost(_ message: String, now: UInt64, into out: inout [ConnectionAction]) {
        guard let ex = exchange else { return }
        upstream = .none
        out.append(.closeUpstream)
        if ex.reusedUpstream && !ex.responseHeadSent && responseParser.isIdle && Self.mayRetry(ex) {
            // A reused connection the origin had already closed: retry once, on a new
            // connection (another pooled one may be just as stale, and would not be retried).
            exchange?.retried = true
            exchange?.reusedUpstream = false
            phase = .connecting
            upstream = .connecting(key: ex.key)
            if logsInfo {
                out.append(.log(LogRecord(.info, "server_connect", [("host", .text(ex.host)), ("port", .int(Int(ex.port))), ("retry", .int(1))])))
            }
            out.append(.connectUpstream(host: ex.host, port: ex.port, poolAllowed: false))
            arm(.upstreamConnect, config.timeouts.upstreamConnectMs, into: &out)
            return
        }
        out.append(.log(LogRecord(.warn, "server_closed", [("host", .text(ex.host)), ("error", .text(message))])))
        if !ex.responseHeadSent, answerStaleOnFailure("origin closed: \(message)", now: now, into: &out) { return }
        if ex.responseHeadSent {
            abort(now: now, into: &out)
        } else {
            respondError(502, detail: "Origin server closed the connection: \(ex.host)", reason: "upstream_truncated",
                         now: now, close: !ex.requestComplete || !ex.clientPersistent, into: &out)
        }
    }

    // MARK: - Completion

    private mutating func finishExchange(now: UInt64, into out: inout [ConnectionAction]) {
        guard let ex = exchange.take() else { return }
        logComplete(ex, now: now, into: &out)
        if case .connected = upstream, !ex.upstreamPersistent {
            upstream = .none
            out.append(.closeUpstream)
        }
        if !ex.clientPersistent || clientEOF {
            if case .connected = upstream {
                // Still open, so reusable (closed just above otherwise): to the pool.
                upstream = .none
                out.append(.releaseUpstream)
            }
            closeAll(into: &out)
            return
        }
        prepareNextRequest(now: now, into: &out)
    }

    mutating func prepareNextRequest(now: UInt64, into out: inout [ConnectionAction]) {
        phase = .awaitingRequest
        requestStarted = false
        arm(.clientIdle, config.timeouts.clientIdleMs, into: &out)
    }

    /// Logs and counts the client's exchange; gives up its fill marker unless the exchange
    /// goes on as a background refresh (`releasingFill: false`).
    func logComplete(_ ex: Exchange, now: UInt64, releasingFill: Bool = true, into out: inout [ConnectionAction]) {
        let elapsed = engine.completionTime(eventTime: now) &- ex.startedAt
        let latency = Int(elapsed / 1_000_000)
        engine.stats.countResponse(status: ex.status)
        engine.metrics.recordResponse(status: ex.status, bytes: ex.bytesToClient, latencyNanoseconds: elapsed)
        engine.stats.bytesToClients.add(ex.bytesToClient, ordering: .relaxed)
        countCacheStatus(ex.cacheStatus)
        if releasingFill { releaseFill(ex, now: now) }
        guard logsInfo else { return }
        var fields: [(key: String, value: LogValue)] = [
            ("status", .int(ex.status)), ("bytes", .int(ex.bytesToClient)), ("latency_ms", .int(latency)),
            ("cache", .text(ex.cacheStatus.rawValue)),
        ]
        if ex.sentUpstream { fields.append(("upstream", .text(ex.reusedUpstream ? "reused" : "new"))) }
        out.append(.log(LogRecord(.info, "request_complete", fields)))
    }

    /// Answers with a generated error page. With `close`, the connection ends after it;
    /// otherwise the caller continues with the next request.
    mutating func respondError(_ status: Int, detail: String, reason: String, now: UInt64, close: Bool, into out: inout [ConnectionAction]) {
        if isBackgroundRefresh {
            // The client has its answer: an origin failure only ends the refresh.
            endBackgroundRefresh(reason, failed: true, now: now, into: &out)
            return
        }
        // A client that already sent EOF has no next request: do not wait idle for one.
        let close = close || clientEOF
        engine.metrics.countError(reason)
        let page = ErrorPage.render(status: status, detail: detail, via: viaName, close: close, headOnly: exchange?.method == .head)
        out.append(.writeClient(page))
        var ex = exchange ?? Exchange(method: .get, host: "", port: 0, startedAt: now, clientVersion: .http11,
                                      clientPersistent: false, upstreamHead: [], requestChunked: false)
        ex.status = status
        ex.bytesToClient = page.count
        logComplete(ex, now: now, into: &out)
        exchange = nil
        if close {
            closeAll(into: &out)
        } else {
            if case .connected = upstream, phase == .exchanging || phase == .connecting {
                upstream = .none
                out.append(.closeUpstream)
            }
            if case .connecting = upstream {
                upstream = .none
                out.append(.closeUpstream)
            }
            prepareNextRequest(now: now, into: &out)
        }
    }

    /// Ends everything at once after a failure mid-response.
    private mutating func abort(now: UInt64, into out: inout [ConnectionAction]) {
        if isBackgroundRefresh {
            endBackgroundRefresh("aborted", failed: true, now: now, into: &out)
            return
        }
        if let ex = exchange {
            engine.metrics.countError("aborted")
            var logged = ex
            if logged.status == 0 { logged.status = 502 }
            out.append(.log(LogRecord(.warn, "request_aborted", [("status", .int(logged.status)), ("bytes", .int(ex.bytesToClient))])))
            logComplete(logged, now: now, into: &out)
        }
        exchange = nil
        closeAll(into: &out)
    }

    mutating func closeAll(into out: inout [ConnectionAction]) {
        if upstream != .none {
            let idle = upstreamIsIdle
            upstream = .none
            out.append(idle ? .releaseUpstream : .closeUpstream)
        }
        if timer != nil {
            timer = nil
            out.append(.cancelTimer)
        }
        phase = .closed
        backlog = []
        out.append(.closeClient)
    }

    mutating func arm(_ kind: ConnectionTimer, _ ms: UInt64, into out: inout [ConnectionAction]) {
        timer = kind
        out.append(.armTimer(kind, milliseconds: ms))
    }
}

/// Out-of-line storage of one parser (see `ConnectionMachine.requestParser`).
final class ParserBox<Parser> {
    var parser: Parser
    init(_ parser: Parser) { self.parser = parser }
}

extension ConnectionMachine {
    /// The boxes holding the parsers now, for tests: the same box across the requests of a
    /// connection means the parser was kept, not copied into a new one.
    var parserBoxes: (request: AnyObject?, response: AnyObject?) { (requestParserBox, responseParserBox) }
}
