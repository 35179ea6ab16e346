import SafeParse

/// Fuzz target `request-parser`: `RequestParser` over arbitrary byte streams (pipelined
/// requests included). Input layout: see `MessageOptions` (bits 3-7 of byte 0 reserved).
///
/// Besides the driver's per-call invariants (`MessageDriver`): (a) the transcript is the same
/// whole, split by the input's pattern, and byte by byte; (f) every accepted head, serialized
/// again from its parts, parses to the same parts.
public enum RequestParserTarget {
    public static func run(_ data: [UInt8]) {
        trap(on: check(data))
    }

    public static func check(_ data: [UInt8]) -> InvariantViolation? {
        guard let (options, payload) = MessageOptions.decode(data, usesMethod: false) else { return nil }
        do throws(InvariantViolation) {
            try checkSplitInvariance(payload, options: options, makeParser: { RequestParser(limits: $0) },
                                     roundTrip: roundTrip)
            return nil
        } catch {
            return error
        }
    }

    /// (f) `method SP target SP version CRLF` + `name: value CRLF` per field + `CRLF` parses
    /// to the same method, target, version, fields, Host index and framing.
    static func roundTrip(_ parser: RequestParser) throws(InvariantViolation) {
        let head = parser.head
        let fields = try parser.fieldsSummary()
        var text = Array(head.methodBytes) + [Grammar.sp] + Array(head.targetBytes) + [Grammar.sp]
        text += Grammar.versionBytes(head.version) + [Grammar.cr, Grammar.lf]
        text += fields.serialized + [Grammar.cr, Grammar.lf]
        // "a:b" comes back as "a: b": one more byte per line.
        var limits = parser.limits
        limits.maxFieldLineBytes += 1
        limits.maxHeadBytes += fields.fields.count
        var again = RequestParser(limits: limits)
        let step: ParseStep
        switch again.parseResult(text.span) {
        case .success(let s): step = s
        case .failure(let error): throw InvariantViolation("round trip: re-serialized head rejected with \(error)")
        }
        try require(step == ParseStep(.headComplete, consumed: text.count), "round trip: \(step) for \(text.count) head bytes")
        let copy = again.head
        try require(copy.method == head.method && copy.methodBytes == head.methodBytes, "round trip: method differs")
        try require(copy.targetBytes == head.targetBytes && copy.target == head.target, "round trip: target differs")
        try require(copy.version == head.version, "round trip: version differs")
        try require(try again.fieldsSummary().namesAndValues == fields.namesAndValues, "round trip: fields differ")
        try require(copy.hostField == head.hostField, "round trip: Host index differs")
        try require(copy.framing == head.framing, "round trip: framing \(copy.framing) vs \(head.framing)")
    }
}

/// Everything a request head says, for transcript comparison.
struct RequestSummary: Equatable {
    var method: Method
    var methodRange: Range<Int>
    var target: RequestTarget
    var targetRange: Range<Int>
    var version: HTTPVersion
    var framing: BodyFraming
    var hostField: Int?
    var fields: FieldsSummary
}

extension RequestParser: FuzzedParser {
    var headByteCount: Int { head.bytes.count }
    var headFieldCount: Int { head.fields.count }
    var headFraming: BodyFraming { head.framing }
    var headFields: HeaderFields { head.fields }
    var headStatus: Int { 0 }

    /// Checks the request line: `method SP target SP version CRLF` from byte 0, within its limit.
    /// Returns where the field lines start.
    func startLineEnd() throws(InvariantViolation) -> Int {
        let head = self.head, bytes = head.bytes
        let m = head.methodRange, t = head.targetRange
        try require(m.lowerBound == 0 && !m.isEmpty && m.upperBound < bytes.count, "method range \(m)")
        try require(bytes[m].allSatisfy(Grammar.isTchar), "method is not a token")
        try require(t.lowerBound == m.upperBound + 1 && bytes[m.upperBound] == Grammar.sp, "target range \(t) after method \(m)")
        let end = t.upperBound + 1 + 8 + 2
        try require(!t.isEmpty && end <= bytes.count && bytes[t.upperBound] == Grammar.sp, "target range \(t)")
        try require(bytes[t].allSatisfy { $0 > 0x20 && $0 < 0x7F }, "target holds whitespace, controls or non-ASCII")
        try require(Array(bytes[(t.upperBound + 1)..<(end - 2)]) == Grammar.versionBytes(head.version), "version bytes")
        try require(Grammar.endsWithCRLF(bytes, at: end), "request line does not end in CRLF")
        try require(end <= limits.maxRequestLineBytes, "request line of \(end) bytes over limit \(limits.maxRequestLineBytes)")
        return end
    }

    func fieldsSummary() throws(InvariantViolation) -> FieldsSummary {
        try FieldsSummary(head.fields, start: startLineEnd(), lineLimit: limits.maxFieldLineBytes,
                          isComplete: true, what: "head")
    }

    func summarizeHead() throws(InvariantViolation) -> RequestSummary {
        let head = self.head
        try require(head.bytes.count <= limits.maxHeadBytes, "head over maxHeadBytes")
        let fields = try fieldsSummary()
        let bytes = head.bytes
        let known: [(String, Method)] = [("GET", .get), ("HEAD", .head), ("POST", .post), ("PUT", .put),
                                         ("DELETE", .delete), ("CONNECT", .connect), ("OPTIONS", .options),
                                         ("TRACE", .trace), ("PATCH", .patch)]
        let expected = known.first { Array($0.0.utf8) == Array(head.methodBytes) }?.1 ?? .other
        try require(head.method == expected, "method \(head.method) for its bytes")
        let t = head.targetRange
        switch head.target {
        case .origin(let r):
            try require(r == t && bytes[t.lowerBound] == UInt8(ascii: "/") && head.method != .connect, "origin-form \(r)")
        case .asterisk:
            try require(t.count == 1 && bytes[t.lowerBound] == UInt8(ascii: "*") && head.method == .options, "asterisk-form")
        case .authority(let a):
            try require(head.method == .connect && a.port != nil, "authority-form without CONNECT or port")
            try URITarget.checkAuthority(a, bytes.span, t, requirePort: true)
        case .absolute(let u):
            try require(head.method != .connect, "absolute-form for CONNECT")
            try URITarget.checkAbsoluteURI(u, bytes.span, t)
        }
        let hosts = fields.indices(named: "host")
        try require(hosts.count <= 1 && head.hostField == hosts.first, "Host index \(String(describing: head.hostField)) for Host fields \(hosts)")
        try require(head.version == .http10 || head.hostField != nil, "HTTP/1.1 request without Host")
        switch head.framing {
        case .none: try require(fields.indices(named: "transfer-encoding").isEmpty && fields.indices(named: "content-length").isEmpty, "framing none with framing fields")
        case .chunked: try require(fields.indices(named: "content-length").isEmpty && !fields.indices(named: "transfer-encoding").isEmpty, "chunked framing without Transfer-Encoding alone")
        case .contentLength: try require(fields.indices(named: "transfer-encoding").isEmpty && !fields.indices(named: "content-length").isEmpty, "Content-Length framing without Content-Length alone")
        case .untilClose, .tunnel: throw InvariantViolation("request framing \(head.framing)")
        }
        return RequestSummary(method: head.method, methodRange: head.methodRange, target: head.target,
                              targetRange: t, version: head.version, framing: head.framing,
                              hostField: head.hostField, fields: fields)
    }
}
