import SafeParse

/// What the message driver needs from `RequestParser` and `ResponseParser`.
protocol FuzzedParser {
    associatedtype Summary: Equatable
    var limits: Limits { get }
    var errorOffset: UInt64? { get }
    var isIdle: Bool { get }
    var trailers: HeaderFields { get }
    /// Bytes and field lines of the current head (complete or in progress).
    var headByteCount: Int { get }
    var headFieldCount: Int { get }
    var headFraming: BodyFraming { get }
    /// Status code of the current head (0 for requests).
    var headStatus: Int { get }
    var headFields: HeaderFields { get }
    mutating func parse(_ input: Span<UInt8>) throws(ParseError) -> ParseStep
    mutating func finish() throws(ParseError) -> ParseEvent
    /// Summarizes the head just completed, checking its structure.
    func summarizeHead() throws(InvariantViolation) -> Summary
}

/// Feeds a payload to a parser in given pieces, checking the invariants every call must keep,
/// and records the transcript.
///
/// Checked on every call: (b) `consumed` never exceeds the input and body ranges lie within
/// `consumed`; `.needMore` consumes everything; (c) progress: a bounded number of steps per
/// piece; (e) the head, field count, trailer bytes and body stay within the limits;
/// (d) after an error every further `parse` and `finish` rethrows it, and `errorOffset`
/// lies within the bytes given. Per message: a Content-Length body has exactly its length,
/// a body-less message has none, and only chunked messages carry trailers.
struct MessageDriver<Parser: FuzzedParser> {
    var makeParser: () -> Parser
    var callsFinish: Bool
    /// Called at every `.headComplete` (the round trip, in the whole-input run).
    var onHead: ((Parser) throws(InvariantViolation) -> Void)?

    func run(_ payload: [UInt8], pieces: [Range<Int>]) throws(InvariantViolation) -> Transcript<Parser.Summary> {
        var parser = makeParser()
        let limits = parser.limits
        var transcript = Transcript<Parser.Summary>()
        var fed = 0
        var framing: BodyFraming?   // of the current message, from its head
        var bodyCount: UInt64 = 0

        for piece in pieces {
            let chunk = Array(payload[piece])   // its own allocation: ASan sees any over-read
            fed += chunk.count
            var offset = 0
            var steps = 0
            while true {
                steps += 1
                try require(steps <= 2 * chunk.count + 3, "no progress: \(steps) steps on a piece of \(chunk.count) bytes")
                let available = chunk.count - offset
                let step: ParseStep
                switch parser.parseResult(chunk.span.extracting(offset...)) {
                case .success(let s):
                    step = s
                case .failure(let error):
                    transcript.error = error
                    try Self.checkFailed(&parser, error, consumed: transcript.consumed, fed: fed,
                                         rest: Array(chunk[offset...]))
                    return transcript
                }
                try require(step.consumed >= 0 && step.consumed <= available,
                            "consumed \(step.consumed) of \(available) bytes")
                try Self.checkLimits(parser, limits)
                switch step.event {
                case .needMore:
                    try require(step.consumed == available, "needMore after consuming \(step.consumed) of \(available)")
                case .headComplete:
                    try require(step.consumed > 0, "headComplete without consuming a byte")
                    try require(framing == nil, "headComplete inside a message")
                    transcript.events.append(.head(try parser.summarizeHead()))
                    try onHead?(parser)
                    framing = parser.headFraming
                    bodyCount = 0
                case .body(let range):
                    try require(range.lowerBound >= 0 && range.lowerBound < range.upperBound && range.upperBound <= step.consumed,
                                "body range \(range) not within consumed \(step.consumed)")
                    try require(framing != nil && framing != BodyFraming.none, "body outside a message with a body")
                    bodyCount += UInt64(range.count)
                    if framing != .tunnel, let max = limits.maxBodyBytes {
                        try require(bodyCount <= max, "body of \(bodyCount) bytes over limit \(max)")
                    }
                    if case .contentLength(let n) = framing {
                        try require(bodyCount <= n, "body of \(bodyCount) bytes over Content-Length \(n)")
                    }
                    transcript.appendBody(chunk[(offset + range.lowerBound)..<(offset + range.upperBound)])
                case .messageComplete:
                    guard let current = framing else { throw InvariantViolation("messageComplete without a head") }
                    try Self.checkComplete(current, bodyCount: bodyCount)
                    try require(current != .untilClose && current != .tunnel, "\(current) body completed by parse")
                    let trailers = try FieldsSummary(parser.trailers, start: 0, lineLimit: limits.maxFieldLineBytes,
                                                     isComplete: current == .chunked, what: "trailer")
                    if current != .chunked {
                        try require(trailers.bytes.isEmpty, "trailers on a \(current) message")
                    }
                    transcript.events.append(.messageComplete(trailers: trailers))
                    framing = nil
                }
                offset += step.consumed
                transcript.consumed += step.consumed
                if step.event == .needMore { break }
            }
        }
        try require(transcript.consumed == payload.count, "consumed \(transcript.consumed) of \(payload.count) without an error")

        if callsFinish {
            switch parser.finishResult() {
            case .success(let event):
                transcript.events.append(.finished(event))
                switch event {
                case .messageComplete:
                    try require(framing == .untilClose, "finish completed a \(String(describing: framing)) message")
                case .needMore:
                    try require(framing == nil || framing == .tunnel, "finish accepted the end of a \(String(describing: framing)) message")
                default:
                    throw InvariantViolation("finish returned \(event)")
                }
            case .failure(let error):
                transcript.error = error
                try require(error == .truncatedMessage, "finish threw \(error)")
                try Self.checkFailed(&parser, error, consumed: transcript.consumed, fed: fed, rest: [])
                return transcript
            }
        }
        transcript.idleAtEnd = parser.isIdle
        return transcript
    }

    /// (e) What is stored never exceeds its limit.
    static func checkLimits(_ parser: Parser, _ limits: Limits) throws(InvariantViolation) {
        try require(parser.headByteCount <= limits.maxHeadBytes,
                    "head of \(parser.headByteCount) bytes over maxHeadBytes \(limits.maxHeadBytes)")
        try require(parser.headFieldCount <= limits.maxFieldCount,
                    "\(parser.headFieldCount) fields over maxFieldCount \(limits.maxFieldCount)")
        try require(parser.trailers.bytes.count <= limits.maxTrailerBytes,
                    "trailers of \(parser.trailers.bytes.count) bytes over maxTrailerBytes \(limits.maxTrailerBytes)")
        try require(parser.trailers.count <= limits.maxTrailerFieldCount,
                    "\(parser.trailers.count) trailer fields over maxTrailerFieldCount \(limits.maxTrailerFieldCount)")
    }

    static func checkComplete(_ framing: BodyFraming, bodyCount: UInt64) throws(InvariantViolation) {
        switch framing {
        case .none: try require(bodyCount == 0, "\(bodyCount) body bytes in a message without a body")
        case .contentLength(let n): try require(bodyCount == n, "body of \(bodyCount) bytes for Content-Length \(n)")
        default: break
        }
    }

    /// (d) A failed parser stays failed with the same error and offset.
    static func checkFailed(_ parser: inout Parser, _ error: ParseError, consumed: Int, fed: Int, rest: [UInt8]) throws(InvariantViolation) {
        guard let offset = parser.errorOffset else { throw InvariantViolation("no errorOffset after \(error)") }
        try require(offset >= UInt64(consumed) && offset <= UInt64(fed),
                    "errorOffset \(offset) outside \(consumed)...\(fed) after \(error)")
        let inputs: [[UInt8]] = [rest, [], Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8), [Grammar.cr, Grammar.lf]]
        for input in inputs {
            switch parser.parseResult(input.span) {
            case .success(let step): throw InvariantViolation("parse returned \(step) after \(error)")
            case .failure(let again): try require(again == error, "parse threw \(again) after \(error)")
            }
        }
        switch parser.finishResult() {
        case .success(let event): throw InvariantViolation("finish returned \(event) after \(error)")
        case .failure(let again): try require(again == error, "finish threw \(again) after \(error)")
        }
        try require(parser.errorOffset == offset, "errorOffset moved after \(error)")
        try require(!parser.isIdle, "failed parser reports isIdle")
    }
}

extension FuzzedParser {
    mutating func parseResult(_ input: Span<UInt8>) -> Result<ParseStep, ParseError> {
        do throws(ParseError) { return .success(try parse(input)) } catch { return .failure(error) }
    }

    mutating func finishResult() -> Result<ParseEvent, ParseError> {
        do throws(ParseError) { return .success(try finish()) } catch { return .failure(error) }
    }
}
