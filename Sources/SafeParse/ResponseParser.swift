/// Incremental, sans-I/O parser for a stream of HTTP/1.x responses (RFC 9112), with the same
/// contract as `RequestParser`.
///
/// Response framing depends on the request (RFC 9112 §6.3): set `requestMethod` before the
/// response to each request is parsed. A 1xx head is followed by `.messageComplete` and then
/// by the next head for the same request. After a 2xx answer to CONNECT (`framing == .tunnel`)
/// every further byte is reported as `.body`. An until-close body ends with `finish()`.
public struct ResponseParser: Sendable {
    public private(set) var head = ResponseHead()
    var core: MessageParser
    /// Method of the request this response answers (HEAD and CONNECT change the framing).
    public var requestMethod: Method = .get

    public init(limits: Limits = .default) {
        core = MessageParser(limits: limits)
    }

    public var limits: Limits { core.limits }

    public mutating func parse(_ input: Span<UInt8>) throws(ParseError) -> ParseStep {
        try core.parse(input, head: &head, requestMethod: requestMethod)
    }

    /// Signals the end of the stream: `.messageComplete` when it ends an until-close body,
    /// `.needMore` between responses; throws `.truncatedMessage` when a response was cut short.
    public mutating func finish() throws(ParseError) -> ParseEvent {
        try core.finish(headBytes: head.fields.bytes.count)
    }

    public var trailers: HeaderFields { core.trailers }
    public var isIdle: Bool { core.isIdle(headBytes: head.fields.bytes.count) }
    public var errorOffset: UInt64? { core.errorOffset }
}

extension ResponseHead: ParsedHead {
    static var skipsLeadingEmptyLines: Bool { false }

    static func startLineLimit(_ limits: Limits) -> (bytes: Int, error: ParseError) {
        (limits.maxStatusLineBytes, .statusLineTooLong)
    }

    mutating func parseStartLine(_ bytes: Span<UInt8>, _ line: Range<Int>, shift: Int) throws(ParseError) {
        let parsed = try StatusLine.parse(bytes, line)
        version = parsed.version
        status = parsed.status
        reasonRange = parsed.reasonRange.shifted(by: shift)
        framing = .none
    }

    mutating func completeHead(limits: Limits, requestMethod: Method) throws(ParseError) -> BodyFraming {
        let summary = try FramingFields.scan(fields)
        let result = try summary.responseFraming(version: version, status: status, requestMethod: requestMethod, limits: limits)
        framing = result
        return result
    }
}
