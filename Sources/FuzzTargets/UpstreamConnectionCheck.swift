import SafeParse

/// One upstream connection the machine asked for, as the origin would see it: the requests
/// written to it (parsed as the origin would) and the responses the origin sent on it (parsed
/// as the machine does, to pair them with what reaches the client).
struct UpstreamConnectionCheck {
    var host: String
    var port: UInt16
    /// What the machine wrote, parsed with unbounded limits: an error is malformed output.
    var requests = ObservedStream(RequestParser(limits: .unbounded))
    /// The client request index each written request belongs to.
    var clientIndex: [Int] = []
    /// The origin's bytes delivered to the machine, parsed with the machine's limits.
    var responses: ObservedStream<ResponseParser>
    /// Next response that a head relayed to the client can be paired with.
    var nextToPair = 0

    init(host: String, port: UInt16, responseLimits: Limits) {
        self.host = host
        self.port = port
        responses = ObservedStream(ResponseParser(limits: responseLimits))
    }

    /// Feeds origin bytes (the method of each response is that of the request written).
    mutating func originSent(_ bytes: [UInt8]) {
        let written = requests.messages
        _ = responses.feed(bytes) { k in k < written.count ? written[k].head.method : .get }
    }

    /// Pairs a head relayed to the client with the next origin head of the same status.
    mutating func pair(status: Int) -> Int? {
        var j = nextToPair
        while j < responses.messages.count {
            if responses.messages[j].head.status == status {
                nextToPair = j + 1
                return j
            }
            j += 1
        }
        return nil
    }
}

/// The checks on a request head written upstream, against the client request it forwards.
enum UpstreamHeadRules {
    /// The client request may be forwarded at all: its head was accepted, it is absolute-form
    /// `http://`, it does not loop back through this proxy, and its Connection options are valid.
    static func checkForwardable(_ c: RequestHead, viaName: String) throws(InvariantViolation) -> AbsoluteURI {
        guard case .absolute(let uri) = c.target, uri.scheme == .http else {
            throw InvariantViolation("forwarded a request whose target the proxy refuses: \(String(decoding: c.targetBytes, as: UTF8.self))")
        }
        try require(!HopByHopRules.viaReceivers(c.fields).contains(viaName.lowercased()), "forwarded a request that loops (Via names us)")
        try require(HopByHopRules.connectionOptions(c.fields) != nil, "forwarded a request with an invalid Connection option")
        return uri
    }

    /// `u`, written upstream, is `c` rewritten: same method, origin-form target, HTTP/1.1,
    /// Host from the URI first, every end-to-end field line byte for byte and in order, no
    /// hop-by-hop field, the same framing (chunked written by the proxy itself), Via last.
    static func check(_ u: RequestHead, forwarding c: RequestHead, viaName: String) throws(InvariantViolation) {
        let uri = try checkForwardable(c, viaName: viaName)
        try require(u.methodBytes == c.methodBytes, "upstream method differs from the client's")
        var path = Array(c.bytes[uri.pathAndQuery])
        if path.first != UInt8(ascii: "/") { path.insert(UInt8(ascii: "/"), at: 0) }
        try require(Array(u.targetBytes) == path, "upstream target \(String(decoding: u.targetBytes, as: UTF8.self)) is not the URI's path")
        try require(u.version == .http11, "upstream request is not HTTP/1.1")
        let names = HopByHopRules.names(u.fields)
        let authority = Array(c.bytes[(uri.schemeRange.upperBound + 3)..<uri.pathAndQuery.lowerBound])
        try require(names.first == "host" && Array(u.fields.value(at: 0)) == authority && names.filter { $0 == "host" }.count == 1,
                    "upstream Host is not the URI's authority, first and once")
        let nominated = HopByHopRules.nominated(c.fields) ?? []
        for name in names {
            try require(!HopByHopRules.fixedNames.contains(name), "hop-by-hop field \(name) forwarded upstream")
            try require(!HopByHopRules.isNominated(name, nominated), "field \(name) nominated by Connection forwarded upstream")
        }
        try require(u.framing == c.framing, "upstream framing \(u.framing) for a client request framed \(c.framing)")
        try require(names.last == "via" && Array(u.fields.value(at: u.fields.count - 1)) == Array("1.1 \(viaName)".utf8),
                    "upstream request does not end with our Via")
        var tail = 2 // Host first, Via last
        if c.framing == .chunked {
            let te = u.fields.count - 2
            try require(te > 0 && names[te] == "transfer-encoding" && Array(u.fields.value(at: te)) == Array("chunked".utf8)
                            && names.filter({ $0 == "transfer-encoding" }).count == 1,
                        "chunked request not forwarded with one Transfer-Encoding: chunked before Via")
            tail += 1
        } else {
            try require(!names.contains("transfer-encoding"), "Transfer-Encoding forwarded for a request framed \(c.framing)")
        }
        var expected: [[UInt8]] = []
        for i in 0..<c.fields.count {
            let name = HopByHopRules.name(c.fields, i)
            if name == "host" || HopByHopRules.isDropped(name, nominated: nominated) { continue }
            expected.append(Array(c.fields.line(at: i)))
        }
        let forwarded = (1..<(1 + max(0, u.fields.count - tail))).map { Array(u.fields.line(at: $0)) }
        try require(forwarded == expected, "upstream field lines are not the client's end-to-end lines in order")
    }
}
