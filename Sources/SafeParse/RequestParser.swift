/// Incremental, sans-I/O parser for a stream of HTTP/1.x requests (RFC 9112).
///
/// Feed bytes as they arrive, in pieces of any size; the events are the same for every way
/// of splitting the stream. The parser never reads outside the span it is given and keeps
/// only the current head (bounded by `Limits`), so memory stays bounded for any input.
///
///     var parser = RequestParser()
///     var rest = bytes.span
///     loop: while true {
///         let step = try parser.parse(rest)
///         switch step.event {
///         case .headComplete: use(parser.head)
///         case .body(let range): forward(rest.extracting(range))
///         case .messageComplete: finishRequest()
///         case .needMore: break loop
///         }
///         rest = rest.extracting(step.consumed...)
///     }
///
/// `head` is valid from `.headComplete` until the next message starts (the first byte
/// consumed after `.messageComplete`). Pipelined requests are parsed one after the other.
public struct RequestParser: Sendable {
    public private(set) var head = RequestHead()
    var core: MessageParser

    public init(limits: Limits = .default) {
        core = MessageParser(limits: limits)
    }

    public var limits: Limits { core.limits }

    /// Consumes a prefix of `input` and reports what it completed. After an error the parser
    /// is failed: every later call rethrows the same error.
    public mutating func parse(_ input: Span<UInt8>) throws(ParseError) -> ParseStep {
        try core.parse(input, head: &head, requestMethod: .get)
    }

    /// Signals the end of the stream: `.needMore` if it fell between requests (a clean close);
    /// throws `.truncatedMessage` if a request was cut short.
    public mutating func finish() throws(ParseError) -> ParseEvent {
        try core.finish(headBytes: head.fields.bytes.count)
    }

    /// Trailer fields of the last chunked message (valid with `head`).
    public var trailers: HeaderFields { core.trailers }

    /// True when no byte of a further request has been received.
    public var isIdle: Bool { core.isIdle(headBytes: head.fields.bytes.count) }

    /// True when the last request is complete and no byte of a further one was received: idle,
    /// or at the end of a message whose `.messageComplete` the next call reports (a request
    /// without a body ends with its head).
    public var isBetweenMessages: Bool { core.phase == .messageEnd || isIdle }

    /// Offset in the stream where the error was detected, once the parser has failed.
    public var errorOffset: UInt64? { core.errorOffset }

    /// Releases buffer capacity (for connections that go idle for long); the next message reallocates.
    public mutating func releaseStorage() {
        guard isIdle else { return }
        head = RequestHead()
        core.trailers = HeaderFields()
    }
}

extension RequestHead: ParsedHead {
    static var skipsLeadingEmptyLines: Bool { true }

    static func startLineLimit(_ limits: Limits) -> (bytes: Int, error: ParseError) {
        (limits.maxRequestLineBytes, .requestLineTooLong)
    }

    mutating func parseStartLine(_ bytes: Span<UInt8>, _ line: Range<Int>, shift: Int) throws(ParseError) {
        let parsed = try RequestLine.parse(bytes, line)
        method = parsed.method
        methodRange = parsed.methodRange.shifted(by: shift)
        target = parsed.target.shifted(by: shift)
        targetRange = parsed.targetRange.shifted(by: shift)
        version = parsed.version
        hostField = nil
        framing = .none
    }

    mutating func completeHead(limits: Limits, requestMethod: Method) throws(ParseError) -> BodyFraming {
        let summary = try FramingFields.scan(fields)
        let result = try summary.requestFraming(version: version, limits: limits)
        if let host = summary.hostIndex {
            // RFC 9112 §3.2: Host = uri-host [ ":" port ]; empty is allowed when the target has no authority.
            let value = fields.valueRange(at: host)
            if !value.isEmpty {
                let bytes = fields.bytes
                _ = try Authority.parse(bytes.span, value)
            }
        }
        hostField = summary.hostIndex
        framing = result
        return result
    }
}
