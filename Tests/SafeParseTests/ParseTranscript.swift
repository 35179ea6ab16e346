import SafeParse

/// A split-independent record of what a parser reported for a byte stream: one entry per
/// message (its head summary, decoded body, trailers) and the error, if any. Two feeds of the
/// same bytes must produce equal transcripts however the bytes were split.
struct ParseTranscript: Equatable, Sendable, CustomStringConvertible {
    struct Message: Equatable, Sendable {
        var head: String            // start line summary and fields, "name: value" per line
        /// Requests: the method and the parsed request-target (`Drive.describeTarget`); responses: "".
        var target: String = ""
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

    /// A short description of the first difference between two message lists, or nil if equal
    /// (for rows whose heads are too long to print whole).
    static func firstDifference(_ a: [Message], _ b: [Message]) -> String? {
        func clip(_ s: String) -> String { s.count > 120 ? String(s.prefix(120)) + "…(\(s.count) chars)" : s }
        if a.count != b.count { return "\(a.count) messages, expected \(b.count)" }
        for (i, (x, y)) in zip(a, b).enumerated() where x != y {
            if x.head != y.head {
                let common = zip(x.head, y.head).prefix { $0 == $1 }.count
                return "message \(i) head differs at character \(common): " + clip(String(x.head.dropFirst(common)))
                    + " vs " + clip(String(y.head.dropFirst(common)))
            }
            if x.target != y.target { return "message \(i) target: \(x.target) vs \(y.target)" }
            if x.framing != y.framing { return "message \(i) framing: \(x.framing) vs \(y.framing)" }
            if x.body != y.body { return "message \(i) body: \(x.body.count) vs \(y.body.count) bytes" }
            if x.trailers != y.trailers { return "message \(i) trailers: \(clip(x.trailers.description)) vs \(clip(y.trailers.description))" }
            return "message \(i) complete: \(x.complete) vs \(y.complete)"
        }
        return nil
    }

    /// The part of the transcript that must not depend on how the input was split. On an error,
    /// `consumed` does depend on it (a head is consumed piece by piece but never returned whole),
    /// so it is blanked; every other part stays.
    var splitIndependent: ParseTranscript {
        var copy = self
        if copy.error != nil { copy.consumed = -1 }
        return copy
    }
}

/// Drives a parser over `chunks` and records the transcript; `eof` also calls `finish()`.
enum Drive {
    static func request(_ chunks: [[UInt8]], limits: Limits = .default, eof: Bool = false) -> ParseTranscript {
        var parser = RequestParser(limits: limits)
        return run(chunks, eof: eof,
                   parse: { (span: Span<UInt8>) throws(ParseError) -> ParseStep in try parser.parse(span) },
                   finish: { () throws(ParseError) -> ParseEvent in try parser.finish() },
                   head: { describe(parser.head) },
                   target: { describeTarget(parser.head) },
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
                   target: { "" },
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
                            head: () -> String, target: () -> String, framing: () -> BodyFraming,
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
                        transcript.messages.append(.init(head: head(), target: target(), framing: framing()))
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

    /// "get origin /a?b", "connect authority host=example.com port=443",
    /// "get absolute http host=[::1] port=8080 path=/x", "options asterisk".
    static func describeTarget(_ head: RequestHead) -> String {
        let bytes = head.bytes
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        func host(_ a: Authority) -> String { a.isIPv6Literal ? "[" + text(a.host) + "]" : text(a.host) }
        func port(_ a: Authority) -> String { a.port.map { String($0) } ?? "none" }
        let form = switch head.target {
        case .origin(let range): "origin " + text(range)
        case .absolute(let uri):
            "absolute \(uri.scheme) host=\(host(uri.authority)) port=\(port(uri.authority)) path=\(text(uri.pathAndQuery))"
        case .authority(let a): "authority host=\(host(a)) port=\(port(a))"
        case .asterisk: "asterisk"
        }
        return "\(head.method) " + form
    }

    static func describe(_ head: ResponseHead) -> String {
        let reason = String(decoding: head.reasonBytes, as: UTF8.self)
        return (["\(head.version) \(head.status) \(reason)"] + fieldStrings(head.fields)).joined(separator: "; ")
    }
}
