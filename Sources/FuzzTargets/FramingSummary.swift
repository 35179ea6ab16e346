public import SafeParse

/// How a parser divided a byte stream into messages: what the differential targets compare
/// between SafeParse and llhttp (the llhttp side lives in the Fuzz package, which alone links it).
public struct FramingSummary: Sendable, Equatable {
    public struct Message: Sendable, Equatable {
        /// Field lines of the head (trailers apart).
        public var fieldCount: Int
        /// Status code of a response head, 0 for a request.
        public var status: Int
        public var bodyBytes = 0
        public var trailerCount = 0
        /// Stream offset just after the message's last byte; nil while it is incomplete.
        public var end: Int?
        /// What in SafeParse's head is a known reason for llhttp to frame it otherwise (see
        /// `KnownDeviation`); nil on llhttp's side.
        public var deviation: KnownDeviation?

        public init(fieldCount: Int, status: Int) {
            self.fieldCount = fieldCount
            self.status = status
        }
    }

    /// Every message whose head completed, in order.
    public var messages: [Message] = []
    /// Why the parser rejected the stream, if it did.
    public var rejection: String?
    /// The parser stopped parsing as HTTP after the last message (upgrade, CONNECT tunnel).
    public var stopped = false

    public init() {}

    /// No more messages could follow: rejected or stopped.
    var ended: Bool { rejection != nil || stopped }
}

/// A documented difference between llhttp and RFC 9112 that SafeParse does not share: a
/// framing disagreement on a message whose head has one is counted, not a crash.
public enum KnownDeviation: String, Sendable, Equatable {
    /// A Transfer-Encoding list with an empty member (`chunked,`): RFC 9110 §5.6.1 makes the
    /// recipient ignore it (SafeParse: chunked); llhttp takes `chunked` as not the final coding
    /// (a response body until close).
    case emptyTransferCodingMember = "empty Transfer-Encoding list member"

    /// `chunked` followed by whitespace holding an HTAB (`chunked\t`): RFC 9110 §5.6.1 and
    /// §5.6.3 make that OWS (SafeParse: chunked). llhttp skips only SP after `chunked`, so it
    /// takes the coding as not the final one (a response body until close). The proxy never
    /// passes this on: it re-frames bodies and sends its own `Transfer-Encoding: chunked`.
    case tabAfterChunked = "HTAB after chunked in Transfer-Encoding"

    /// The deviation a head shows, if any.
    static func of(_ fields: HeaderFields) -> KnownDeviation? {
        for i in fields.indices(of: "transfer-encoding") {
            let members = fields.value(at: i).split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            if members.contains(where: { $0.allSatisfy(Grammar.isWhitespace) }) { return .emptyTransferCodingMember }
            // The stored value has its outer OWS trimmed: look at the line as received.
            let line = fields.line(at: i)
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let raw = line[(colon + 1)...].prefix { $0 != 0x0D && $0 != 0x0A }
            for member in raw.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                let token = member.drop(while: Grammar.isWhitespace)
                let rest = token.dropFirst(7)
                if token.count > 7, token.prefix(7).map({ $0 | 0x20 }) == Array("chunked".utf8),
                   rest.allSatisfy(Grammar.isWhitespace), rest.contains(0x09) {
                    return .tabAfterChunked
                }
            }
        }
        return nil
    }
}

/// What comparing two summaries of the same bytes found.
public enum FramingComparison: Sendable, Equatable {
    case agree
    /// One side rejected (or stopped at) a message the other accepted: a difference in
    /// strictness, recorded, not a bug. `side` is "safeparse" or "llhttp".
    case oneSided(side: String, reason: String)
    /// Both accepted and framed differently: a smuggling-class bug.
    case disagree(String)
    /// Both accepted and framed differently where llhttp is known to depart from the RFC.
    case known(KnownDeviation)

    /// Compares SafeParse's summary `a` with llhttp's `b`. A disagreement at a message where
    /// (or after one where) SafeParse's head shows a known llhttp deviation is `.known`.
    public static func compare(safeParse a: FramingSummary, llhttp b: FramingSummary) -> FramingComparison {
        let (result, index) = compareMessages(a, b)
        if case .disagree = result, let deviation = a.messages.prefix(index + 1).lazy.compactMap(\.deviation).first {
            return .known(deviation)
        }
        return result
    }

    /// The comparison and, for a disagreement, the index of the first message involved.
    static func compareMessages(_ a: FramingSummary, _ b: FramingSummary) -> (FramingComparison, Int) {
        let common = min(a.messages.count, b.messages.count)
        for i in 0..<common {
            let x = a.messages[i], y = b.messages[i]
            if x.fieldCount != y.fieldCount || x.status != y.status {
                return (.disagree("message \(i): \(x.fieldCount) fields, status \(x.status) vs \(y.fieldCount) fields, status \(y.status)"), i)
            }
            switch (x.end, y.end) {
            case (.some, .some):
                if x.bodyBytes != y.bodyBytes || x.trailerCount != y.trailerCount || x.end != y.end {
                    return (.disagree("message \(i): SafeParse \(x) vs llhttp \(y)"), i)
                }
            case (.some, nil):
                if b.ended && i == b.messages.count - 1 { return (oneSided(b, "llhttp", a), i) }
                return (.disagree("message \(i) complete for SafeParse at \(x.end ?? 0), not for llhttp"), i)
            case (nil, .some):
                // A 2xx to CONNECT: SafeParse's tunnel never completes, llhttp's upgrade does.
                if a.stopped && b.stopped && i == a.messages.count - 1 && i == b.messages.count - 1 { return (.agree, i) }
                if a.ended && i == a.messages.count - 1 { return (oneSided(a, "safeparse", b), i) }
                return (.disagree("message \(i) complete for llhttp at \(y.end ?? 0), not for SafeParse"), i)
            case (nil, nil):
                break
            }
        }
        if a.messages.count < b.messages.count {
            return (a.ended ? oneSided(a, "safeparse", b) : .disagree("SafeParse found \(a.messages.count) messages, llhttp \(b.messages.count)"), common)
        }
        if b.messages.count < a.messages.count {
            return (b.ended ? oneSided(b, "llhttp", a) : .disagree("llhttp found \(b.messages.count) messages, SafeParse \(a.messages.count)"), common)
        }
        if a.rejection != nil && b.rejection == nil && !b.stopped { return (oneSided(a, "safeparse", b), common) }
        if b.rejection != nil && a.rejection == nil && !a.stopped { return (oneSided(b, "llhttp", a), common) }
        return (.agree, common)
    }

    private static func oneSided(_ ended: FramingSummary, _ side: String, _ other: FramingSummary) -> FramingComparison {
        .oneSided(side: side, reason: ended.rejection ?? "stopped (upgrade or tunnel)")
    }
}

/// One input of a differential target, decoded as the request-parser or response-parser
/// target decodes it (MessageOptions.swift), with SafeParse's summary of its payload. Those
/// targets replay the differential corpora, so every such file is also checked for
/// SafeParse's own invariants by `swift test`.
public struct DifferentialCase: Sendable {
    public let payload: [UInt8]
    /// How the payload is cut into the reads given to both parsers.
    public let pieces: [Range<Int>]
    /// The end of the stream is signalled after the last piece.
    public let callsFinish: Bool
    /// The request method the responses answer (GET for requests).
    public let requestMethod: Method
    public let safeParse: FramingSummary

    /// Nil when the input is skipped by the target it shares its encoding with.
    public init?(_ data: [UInt8], responses: Bool) {
        guard let (options, payload) = MessageOptions.decode(data, usesMethod: responses) else { return nil }
        self.payload = payload
        pieces = options.split.pieces(count: payload.count)
        callsFinish = options.callsFinish
        requestMethod = responses ? options.requestMethod : .get
        safeParse = responses
            ? Self.summarize(payload, pieces, options, { var p = ResponseParser(limits: $0); p.requestMethod = options.requestMethod; return p })
            : Self.summarize(payload, pieces, options, { RequestParser(limits: $0) })
    }

    static func summarize<P: FuzzedParser>(_ payload: [UInt8], _ pieces: [Range<Int>], _ options: MessageOptions,
                                                          _ make: (Limits) -> P) -> FramingSummary {
        var parser = make(options.limits)
        var summary = FramingSummary()
        var streamOffset = 0
        for piece in pieces {
            let chunk = Array(payload[piece])
            var offset = 0
            while true {
                let step: ParseStep
                switch parser.parseResult(chunk.span.extracting(offset...)) {
                case .success(let s): step = s
                case .failure(let error):
                    summary.rejection = error.code
                    return summary
                }
                switch step.event {
                case .needMore:
                    break
                case .headComplete:
                    var message = FramingSummary.Message(fieldCount: parser.headFieldCount, status: parser.headStatus)
                    message.deviation = KnownDeviation.of(parser.headFields)
                    summary.messages.append(message)
                    if parser.headFraming == .tunnel {
                        summary.stopped = true
                        return summary
                    }
                case .body(let range):
                    summary.messages[summary.messages.count - 1].bodyBytes += range.count
                case .messageComplete:
                    let last = summary.messages.count - 1
                    summary.messages[last].trailerCount = parser.trailers.count
                    summary.messages[last].end = streamOffset + offset + step.consumed
                }
                offset += step.consumed
                if step.event == .needMore { break }
            }
            streamOffset += chunk.count
        }
        if options.callsFinish {
            switch parser.finishResult() {
            case .success(.messageComplete):
                summary.messages[summary.messages.count - 1].end = payload.count
            case .success:
                break
            case .failure(let error):
                summary.rejection = error.code
            }
        }
        return summary
    }
}
