import SafeParse

/// A split-independent record of what a parser reported for a byte stream: one entry per
/// message (its head summary, decoded body, trailers) and the error, if any. Two feeds of the
/// same bytes must produce equal transcripts however the bytes were split.
struct ParseTranscript: Equatable, CustomStringConvertible {
    struct Message: Equatable {
        var head: String            // start line summary and fields, "name: value" per line
        var framing: BodyFraming
        var body: [UInt8] = []
        var trailers: [String] = []
        var complete = false
    }

    var messages: [Message] = []
    var error: ParseError?
    /// Bytes consumed when the stream ended or failed.
    var consumed = 0

    var description: String {
        var out = messages.map { "\($0.head) framing=\($0.framing) body=\($0.body.count)B complete=\($0.complete)" }
            .joined(separator: " | ")
        if let error { out += " error=\(error.code)" }
        return out
    }

    /// The first (usually only) message.
    var first: Message? { messages.first }
}

/// Drives a parser over `chunks` and records the transcript; `eof` also calls `finish()`.
enum Drive {
    static func request(_ chunks: [[UInt8]], limits: Limits = .default, eof: Bool = false) -> ParseTranscript {
        var parser = RequestParser(limits: limits)
        return run(chunks, eof: eof,
                   parse: { (span: Span<UInt8>) throws(ParseError) -> ParseStep in try parser.parse(span) },
                   finish: { () throws(ParseError) -> ParseEvent in try parser.finish() },
                   head: { describe(parser.head) },
                   framing: { parser.head.framing },
                   trailers: { fieldStrings(parser.trailers) })
    }

    static func response(_ chunks: [[UInt8]], method: Method = .get, limits: Limits = .default, eof: Bool = false) -> ParseTranscript {
        var parser = ResponseParser(limits: limits)
        parser.requestMethod = method
        return run(chunks, eof: eof,
                   parse: { (span: Span<UInt8>) throws(ParseError) -> ParseStep in try parser.parse(span) },
                   finish: { () throws(ParseError) -> ParseEvent in try parser.finish() },
                   head: { describe(parser.head) },
                   framing: { parser.head.framing },
                   trailers: { fieldStrings(parser.trailers) })
    }

    /// Whole input in one piece.
    static func request(_ text: String, limits: Limits = .default, eof: Bool = false) -> ParseTranscript {
        request([Array(text.utf8)], limits: limits, eof: eof)
    }

    static func response(_ text: String, method: Method = .get, limits: Limits = .default, eof: Bool = false) -> ParseTranscript {
        response([Array(text.utf8)], method: method, limits: limits, eof: eof)
    }

    private static func run(_ chunks: [[UInt8]], eof: Bool,
                            parse: (Span<UInt8>) throws(ParseError) -> ParseStep,
                            finish: () throws(ParseError) -> ParseEvent,
                            head: () -> String, framing: () -> BodyFraming,
                            trailers: () -> [String]) -> ParseTranscript {
        var transcript = ParseTranscript()
        do throws(ParseError) {
            for chunk in chunks {
                var offset = 0
                var guardSteps = 0
                while true {
                    guardSteps += 1
                    precondition(guardSteps < 1_000_000, "parser made no progress")
                    let step = try parse(chunk.span.extracting(offset...))
                    precondition(step.consumed >= 0 && offset + step.consumed <= chunk.count, "consumed out of range")
                    switch step.event {
                    case .needMore:
                        precondition(offset + step.consumed == chunk.count, "needMore before input was consumed")
                    case .headComplete:
                        transcript.messages.append(.init(head: head(), framing: framing()))
                    case .body(let range):
                        precondition(range.lowerBound >= 0 && range.upperBound <= step.consumed, "body range outside consumed")
                        transcript.messages[transcript.messages.count - 1].body
                            .append(contentsOf: chunk[(offset + range.lowerBound)..<(offset + range.upperBound)])
                    case .messageComplete:
                        let last = transcript.messages.count - 1
                        transcript.messages[last].complete = true
                        transcript.messages[last].trailers = trailers()
                    }
                    offset += step.consumed
                    transcript.consumed += step.consumed
                    if step.event == .needMore { break }
                }
            }
            if eof, try finish() == .messageComplete {
                transcript.messages[transcript.messages.count - 1].complete = true
            }
        } catch {
            transcript.error = error
        }
        return transcript
    }

    static func fieldStrings(_ fields: HeaderFields) -> [String] {
        (0..<fields.count).map { i in
            String(decoding: fields.name(at: i), as: UTF8.self) + ": " + String(decoding: fields.value(at: i), as: UTF8.self)
        }
    }

    static func describe(_ head: RequestHead) -> String {
        let method = String(decoding: head.methodBytes, as: UTF8.self)
        let target = String(decoding: head.targetBytes, as: UTF8.self)
        return ([method + " " + target + " " + "\(head.version)"] + fieldStrings(head.fields)).joined(separator: "; ")
    }

    static func describe(_ head: ResponseHead) -> String {
        let reason = String(decoding: head.reasonBytes, as: UTF8.self)
        return (["\(head.version) \(head.status) \(reason)"] + fieldStrings(head.fields)).joined(separator: "; ")
    }
}
