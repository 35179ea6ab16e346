import SafeParse

/// The checks on a response head written to the client.
enum ClientResponseRules {
    /// Fields the proxy itself adds after the relayed ones.
    static let proxyOwned: Set<String> = ["transfer-encoding", "via", "connection", "x-proxy-cache"]

    /// Any head: no hop-by-hop field except the proxy's own `Connection: close|keep-alive`;
    /// Transfer-Encoding only as the proxy's `chunked` to an HTTP/1.1 client; a close-delimited
    /// body only with `Connection: close`; 1xx only to HTTP/1.1 clients, never 101.
    /// Returns whether the client may keep the connection after this response (RFC 9112 §9.3).
    static func check(_ h: ResponseHead, clientVersion: HTTPVersion) throws(InvariantViolation) -> Bool {
        let names = HopByHopRules.names(h.fields)
        var options: [String] = []
        for (i, name) in names.enumerated() {
            if name == "connection" {
                try require(!h.isInterim, "Connection field in a 1xx response to the client")
                options.append(String(decoding: h.fields.value(at: i).map(Grammar.lowercased), as: UTF8.self))
                continue
            }
            try require(!HopByHopRules.fixedNames.contains(name), "hop-by-hop field \(name) sent to the client")
        }
        try require(options.count <= 1 && options.allSatisfy { $0 == "close" || $0 == "keep-alive" },
                    "Connection to the client is not the proxy's own close or keep-alive: \(options)")
        let te = names.indices.filter { names[$0] == "transfer-encoding" }
        if !te.isEmpty {
            try require(te.count == 1 && Array(h.fields.value(at: te[0])) == Array("chunked".utf8) && h.framing == .chunked,
                        "Transfer-Encoding to the client is not one `chunked`")
            try require(clientVersion == .http11, "chunked response to an HTTP/1.0 client")
        }
        if h.isInterim {
            try require(clientVersion == .http11, "1xx response sent to an HTTP/1.0 client")
            try require(h.status != 101, "101 relayed to the client")
        }
        let close = options.contains("close")
        if h.framing == .untilClose {
            try require(close, "close-delimited response to the client without Connection: close")
        }
        try require(h.framing != .tunnel, "tunnel response to the client")
        return !close && (h.version == .http11 || options.contains("keep-alive"))
    }

    /// A relayed head `c` is origin head `o` rewritten: same status and reason, the origin's
    /// end-to-end field lines byte for byte and in order (Content-Length dropped when the proxy
    /// re-frames), then only fields the proxy owns, Via naming us.
    static func checkRelayed(_ c: ResponseHead, from o: ResponseHead, viaName: String) throws(InvariantViolation) {
        try require(c.status == o.status && c.reasonBytes == o.reasonBytes, "relayed status line differs from the origin's")
        let nominated = HopByHopRules.nominated(o.fields) ?? []
        let reframed = c.framing == .chunked || c.framing == .untilClose
        var expected: [[UInt8]] = []
        for i in 0..<o.fields.count {
            let name = HopByHopRules.name(o.fields, i)
            if HopByHopRules.isDropped(name, nominated: nominated) { continue }
            if reframed && !c.isInterim && name == "content-length" { continue }
            expected.append(Array(o.fields.line(at: i)))
        }
        let names = HopByHopRules.names(c.fields)
        for name in names {
            try require(!HopByHopRules.isNominated(name, nominated) || proxyOwned.contains(name),
                        "field \(name) nominated by the origin's Connection relayed")
        }
        try require(c.fields.count >= expected.count, "relayed head lost field lines")
        let relayed = (0..<expected.count).map { Array(c.fields.line(at: $0)) }
        try require(relayed == expected, "relayed field lines are not the origin's end-to-end lines in order")
        let added = names[expected.count...]
        if c.isInterim {
            try require(added.isEmpty, "fields added to a 1xx response")
        } else {
            try require(added.allSatisfy(proxyOwned.contains) && Set(added).count == added.count, "unexpected fields added: \(Array(added))")
            if let via = names.lastIndex(of: "via"), via >= expected.count {
                try require(Array(c.fields.value(at: via)) == Array("1.1 \(viaName)".utf8), "proxy's Via does not name us")
            } else {
                throw InvariantViolation("relayed response without our Via")
            }
        }
    }
}
