import Proxy
import SafeParse

/// Watches every action of a `ConnectionMachine` as its driver would carry them out, and checks
/// the connection-machine invariants on them:
///
/// 1. A request SafeParse rejects is never forwarded: every connect and every request written
///    upstream belongs to a client request the reference parser accepted, and a request written
///    upstream is only ever complete when the client's was (same decoded body).
/// 2. Everything written upstream parses as well-formed requests, each one the client's request
///    rewritten (`UpstreamHeadRules`): one framing, the same as the client's.
/// 3. Everything written to the client parses as well-formed responses (told the request methods
///    in order); no bytes follow a response that ends the connection; relayed heads are the
///    origin's rewritten and relayed bodies the origin's (`ClientResponseRules`).
/// 4. Hop-by-hop fields never cross, in either direction.
/// 5. No action but a log after `closeClient`.
/// 6. No write to an upstream that is not connected; a connect is never abandoned in the event
///    that asked for it.
struct MachineObserver {
    enum Upstream: Equatable { case none, connecting, connected }

    let viaName: String
    /// Client bytes delivered to the machine, parsed as the machine's own parser must parse them.
    var client: ObservedStream<RequestParser>
    /// What the machine wrote to the client, parsed as the client would.
    var toClient = ObservedStream(ResponseParser(limits: .unbounded))
    /// Per response to the client: the origin response it relays (connection, index).
    var pairs: [Int: (connection: Int, response: Int)] = [:]
    var connections: [UpstreamConnectionCheck] = []
    let responseLimits: Limits
    /// The driver's upstream socket.
    var upstream = Upstream.none
    var requestStarts = 0
    var clientClosed = false
    /// Why no more bytes may reach the client, once a response ended the connection.
    var clientEnded: String?
    /// The current event is `upstreamReceived` (heads written now may be relays).
    var relaying = false
    var connectedInThisEvent = false

    init(requestLimits: Limits, responseLimits: Limits, viaName: String) {
        self.viaName = viaName
        self.responseLimits = responseLimits
        client = ObservedStream(RequestParser(limits: requestLimits))
    }

    var current: Int? { upstream == .none ? nil : connections.count - 1 }

    /// Client bytes about to be delivered to the machine.
    mutating func clientDelivered(_ bytes: [UInt8]) {
        _ = client.feed(bytes)
    }

    /// Origin bytes about to be delivered to the machine.
    mutating func originDelivered(_ bytes: [UInt8]) {
        if let c = current { connections[c].originSent(bytes) }
    }

    mutating func originClosedDelivered() {
        if let c = current { _ = connections[c].responses.finish() }
    }

    /// Checks the actions of one event, in order, updating the driver's view.
    mutating func observe(_ actions: [ConnectionAction], relaying: Bool) throws(InvariantViolation) {
        self.relaying = relaying
        connectedInThisEvent = false
        for action in actions {
            if clientClosed, case .log = action {} else if clientClosed {
                throw InvariantViolation("action after closeClient: \(describe(action))")
            }
            switch action {
            case .log(let record):
                try log(record)
            case .writeClient(let bytes):
                try writeClient(bytes)
            case .writeClientStored(let body):
                try writeClient(body.copyBytes())
            case .writeUpstream(let bytes):
                try writeUpstream(bytes)
            case .connectUpstream(let host, let port, _):
                try connect(host: host, port: port)
            case .closeUpstream:
                try require(!connectedInThisEvent || upstream != .connecting, "connect abandoned in the event that asked for it")
                upstream = .none
            case .releaseUpstream:
                // Only an idle, reusable connection may go back to the driver's pool.
                try require(upstream == .connected, "releaseUpstream of an upstream that is not connected")
                upstream = .none
            case .shutdownClientWrite:
                // Outside tunnels (which this target's configuration refuses) only once a
                // response that ends the connection is complete: the client gets EOF while a
                // background cache refresh goes on.
                try require(clientEnded != nil, "client half-closed before a response that ends the connection")
            case .shutdownUpstreamWrite:
                // Half-closes of the origin belong to CONNECT tunnels.
                throw InvariantViolation("half-close outside a tunnel: \(describe(action))")
            case .closeClient:
                clientClosed = true
                try finishClient()
            case .armTimer, .cancelTimer:
                break // the driver model keeps the deadline
            }
        }
    }

    func describe(_ action: ConnectionAction) -> String {
        switch action {
        case .writeClient(let b): "writeClient \"\(MachineDriverModel.text(b))\""
        case .writeClientStored(let body): "writeClientStored \"\(MachineDriverModel.text(body.copyBytes()))\""
        case .writeUpstream(let b): "writeUpstream \"\(MachineDriverModel.text(b))\""
        case .log(let r): "log \(r.event)"
        default: "\(action)"
        }
    }

    private mutating func log(_ record: LogRecord) throws(InvariantViolation) {
        switch record.event {
        case "request_start":
            let k = requestStarts
            requestStarts += 1
            try require(k < client.messages.count, "request_start \(k) for a head the reference parser did not complete")
            let head = client.messages[k].head
            try require(record.value("method") == .bytes(Array(head.methodBytes)) && record.value("uri") == .bytes(Array(head.targetBytes)),
                        "request_start \(k) names another request than the reference parser's")
        case "request_rejected":
            guard case .text(let code) = record.value("reason") else { throw InvariantViolation("request_rejected without a reason") }
            try require(client.error?.code == code || code == ParseError.invalidConnectionOption.code,
                        "request rejected for \(code), the reference parser says \(String(describing: client.error))")
        default:
            break
        }
    }

    private mutating func connect(host: String, port: UInt16) throws(InvariantViolation) {
        let k = requestStarts - 1
        try require(k >= 0 && k < client.messages.count, "connect with no request accepted")
        let head = client.messages[k].head
        let uri = try UpstreamHeadRules.checkForwardable(head, viaName: viaName)
        let bytes = head.bytes
        try require(host == uri.authority.normalizedHost(in: bytes.span) && port == uri.authority.effectivePort(default: 80),
                    "connect to \(host):\(port) for \(String(decoding: head.targetBytes, as: UTF8.self))")
        // A driver closes the previous socket itself (BlockingConnection.startConnect).
        connections.append(UpstreamConnectionCheck(host: host, port: port, responseLimits: responseLimits))
        upstream = .connecting
        connectedInThisEvent = true
    }

    private mutating func writeUpstream(_ bytes: [UInt8]) throws(InvariantViolation) {
        guard upstream == .connected, let c = current else {
            throw InvariantViolation("writeUpstream with the upstream \(upstream)")
        }
        let k = requestStarts - 1
        let events = connections[c].requests.feed(bytes)
        if let error = connections[c].requests.error {
            throw InvariantViolation("malformed request stream written upstream: \(error)")
        }
        for event in events {
            switch event {
            case .head(let index, _):
                try require(k >= 0 && k < client.messages.count, "request head written upstream with no client request")
                connections[c].clientIndex.append(k)
                try UpstreamHeadRules.check(connections[c].requests.messages[index].head, forwarding: client.messages[k].head, viaName: viaName)
            case .complete(let index):
                let source = client.messages[connections[c].clientIndex[index]]
                try require(source.isComplete, "request completed upstream that the client never completed (or SafeParse rejected)")
                try require(source.body == connections[c].requests.messages[index].body, "request body forwarded differs from the client's")
            }
        }
    }

    /// The method and version of the request final response `k` answers (the request the
    /// reference parser did not complete, for an error page, counts as GET/1.1).
    func request(answeredBy k: Int) -> (Method, HTTPVersion) {
        k < client.messages.count ? (client.messages[k].head.method, client.messages[k].head.version) : (.get, .http11)
    }

    private mutating func writeClient(_ bytes: [UInt8]) throws(InvariantViolation) {
        if let clientEnded, !bytes.isEmpty {
            throw InvariantViolation("\(bytes.count) bytes written to the client after \(clientEnded)")
        }
        let requests = client.messages
        let events = toClient.feed(bytes) { k in k < requests.count ? requests[k].head.method : .get }
        if let error = toClient.error {
            throw InvariantViolation("malformed response stream written to the client: \(error)")
        }
        for event in events {
            switch event {
            case .head(let index, let end):
                let message = toClient.messages[index]
                let (_, version) = request(answeredBy: message.finalIndex)
                _ = try ClientResponseRules.check(message.head, clientVersion: version)
                // A relayed head is written alone, while origin bytes are delivered.
                if relaying, end == bytes.count, let c = current, let j = connections[c].pair(status: message.head.status) {
                    try ClientResponseRules.checkRelayed(message.head, from: connections[c].responses.messages[j].head, viaName: viaName)
                    pairs[index] = (c, j)
                }
            case .complete(let index):
                let message = toClient.messages[index]
                if message.isInterim { continue }
                let (_, version) = request(answeredBy: message.finalIndex)
                if !(try ClientResponseRules.check(message.head, clientVersion: version)) {
                    clientEnded = "a \(message.head.status) response that ends the connection"
                }
            }
        }
    }

    /// The client connection closed: a close-delimited response ends here; every relayed
    /// body must be the origin's (all of it when the client saw a complete message).
    mutating func finishClient() throws(InvariantViolation) {
        _ = toClient.finish()
        for (index, pair) in pairs {
            let sent = toClient.messages[index]
            let origin = connections[pair.connection].responses.messages[pair.response]
            if sent.isComplete && sent.head.framing != .untilClose {
                try require(origin.isComplete && origin.body == sent.body,
                            "relayed response \(index) complete with \(sent.body.count) bytes, origin's \(origin.isComplete ? "complete" : "incomplete") with \(origin.body.count)")
            } else {
                try require(origin.body.starts(with: sent.body), "relayed body \(index) is not a prefix of the origin's")
            }
        }
    }

    mutating func upstreamConnected() { upstream = .connected }
    mutating func upstreamLost() { upstream = .none }
}
