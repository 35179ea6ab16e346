import SafeParse

/// Fuzz target `response-parser`: `ResponseParser` over arbitrary byte streams (interim 1xx
/// heads, chunked bodies with extensions and trailers, until-close bodies, tunnels).
/// Input layout: see `MessageOptions` (bits 3-4 of byte 0 pick the request method).
///
/// Besides the driver's per-call invariants (`MessageDriver`): (a) split invariance as for
/// requests; (f) every accepted head, serialized again from its parts, parses to the same parts.
public enum ResponseParserTarget {
    public static func run(_ data: [UInt8]) {
        trap(on: check(data))
    }

    public static func check(_ data: [UInt8]) -> InvariantViolation? {
        guard let (options, payload) = MessageOptions.decode(data, usesMethod: true) else { return nil }
        let method = options.requestMethod
        do throws(InvariantViolation) {
            try checkSplitInvariance(payload, options: options, makeParser: { limits in
                var parser = ResponseParser(limits: limits)
                parser.requestMethod = method
                return parser
            }, roundTrip: roundTrip)
            return nil
        } catch {
            return error
        }
    }

    /// (f) `version SP status SP reason CRLF` + `name: value CRLF` per field + `CRLF` parses
    /// to the same version, status, reason, fields and framing.
    static func roundTrip(_ parser: ResponseParser) throws(InvariantViolation) {
        let head = parser.head
        let fields = try parser.fieldsSummary()
        var text = Grammar.versionBytes(head.version) + [Grammar.sp] + Array(String(head.status).utf8) + [Grammar.sp]
        text += Array(head.reasonBytes) + [Grammar.cr, Grammar.lf]
        text += fields.serialized + [Grammar.cr, Grammar.lf]
        // "HTTP/1.1 200" comes back with a SP before its empty reason, "a:b" as "a: b".
        var limits = parser.limits
        limits.maxStatusLineBytes += 1
        limits.maxFieldLineBytes += 1
        limits.maxHeadBytes += 1 + fields.fields.count
        var again = ResponseParser(limits: limits)
        again.requestMethod = parser.requestMethod
        let step: ParseStep
        switch again.parseResult(text.span) {
        case .success(let s): step = s
        case .failure(let error): throw InvariantViolation("round trip: re-serialized head rejected with \(error)")
        }
        try require(step == ParseStep(.headComplete, consumed: text.count), "round trip: \(step) for \(text.count) head bytes")
        let copy = again.head
        try require(copy.version == head.version && copy.status == head.status, "round trip: version or status differs")
        try require(copy.reasonBytes == head.reasonBytes, "round trip: reason differs")
        try require(try again.fieldsSummary().namesAndValues == fields.namesAndValues, "round trip: fields differ")
        try require(copy.framing == head.framing, "round trip: framing \(copy.framing) vs \(head.framing)")
    }
}

/// Everything a response head says, for transcript comparison.
struct ResponseSummary: Equatable {
    var version: HTTPVersion
    var status: Int
    var reasonRange: Range<Int>
    var framing: BodyFraming
    var fields: FieldsSummary
}

extension ResponseParser: FuzzedParser {
    var headByteCount: Int { head.bytes.count }
    var headFieldCount: Int { head.fields.count }
    var headFraming: BodyFraming { head.framing }
    var headFields: HeaderFields { head.fields }
    var headStatus: Int { head.status }

    /// Checks the status line: `version SP 3DIGIT [SP reason] CRLF` from byte 0, within its
    /// limit. Returns where the field lines start.
    func startLineEnd() throws(InvariantViolation) -> Int {
        let head = self.head, bytes = head.bytes
        let r = head.reasonRange
        try require(bytes.count >= 14 && Array(bytes[0..<8]) == Grammar.versionBytes(head.version) && bytes[8] == Grammar.sp,
                    "status line does not start with its version and SP")
        try require(Array(bytes[9..<12]) == Array(String(head.status).utf8) && (100...999).contains(head.status),
                    "status \(head.status) does not match its digits")
        try require(r == 12..<12 || (r.lowerBound == 13 && bytes[12] == Grammar.sp), "reason range \(r)")
        let end = r.upperBound + 2
        try require(end <= bytes.count && Grammar.endsWithCRLF(bytes, at: end), "status line does not end in CRLF after the reason")
        try require(bytes[r].allSatisfy(Grammar.isFieldValueByte), "invalid byte in reason")
        try require(end <= limits.maxStatusLineBytes, "status line of \(end) bytes over limit \(limits.maxStatusLineBytes)")
        return end
    }

    func fieldsSummary() throws(InvariantViolation) -> FieldsSummary {
        try FieldsSummary(head.fields, start: startLineEnd(), lineLimit: limits.maxFieldLineBytes,
                          isComplete: true, what: "head")
    }

    func summarizeHead() throws(InvariantViolation) -> ResponseSummary {
        let head = self.head
        try require(head.bytes.count <= limits.maxHeadBytes, "head over maxHeadBytes")
        let fields = try fieldsSummary()
        let status = head.status
        // RFC 9112 §6.3 items 1 and 2: these never have a body, or become a tunnel.
        let bodiless = requestMethod == .head || status < 200 || status == 204 || status == 304
        let tunnel = !bodiless && requestMethod == .connect && status < 300
        try require((head.framing == .none) == bodiless, "framing \(head.framing) for status \(status) to \(requestMethod)")
        try require((head.framing == .tunnel) == tunnel, "framing \(head.framing) for status \(status) to \(requestMethod)")
        if case .contentLength = head.framing {
            try require(fields.indices(named: "transfer-encoding").isEmpty && !fields.indices(named: "content-length").isEmpty,
                        "Content-Length framing without Content-Length alone")
        }
        if head.framing == .chunked {
            try require(fields.indices(named: "content-length").isEmpty && !fields.indices(named: "transfer-encoding").isEmpty,
                        "chunked framing without Transfer-Encoding alone")
        }
        return ResponseSummary(version: head.version, status: status, reasonRange: head.reasonRange,
                               framing: head.framing, fields: fields)
    }
}
