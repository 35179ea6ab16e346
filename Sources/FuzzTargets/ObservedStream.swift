import SafeParse

/// What `ObservedStream` needs from `RequestParser` and `ResponseParser`.
protocol StreamParser {
    associatedtype Head
    var head: Head { get }
    var isIdle: Bool { get }
    /// True when the head just completed is an interim (1xx) response.
    var headIsInterim: Bool { get }
    /// Tells a response parser which request the next final response answers.
    mutating func expect(_ method: Method)
    mutating func parse(_ input: Span<UInt8>) throws(ParseError) -> ParseStep
    mutating func finish() throws(ParseError) -> ParseEvent
}

extension RequestParser: StreamParser {
    var headIsInterim: Bool { false }
    mutating func expect(_ method: Method) {}
}

extension ResponseParser: StreamParser {
    var headIsInterim: Bool { head.isInterim }
    mutating func expect(_ method: Method) { requestMethod = method }
}

/// One side of a connection as a recipient would read it: every byte written is fed, in
/// order, to one parser, and each message is kept with its decoded body.
///
/// Invariant: `messages` holds every head completed so far, in order; a message's body is
/// everything the parser delivered for it; after an error nothing more is parsed.
struct ObservedStream<P: StreamParser> {
    struct Message {
        var head: P.Head
        var isInterim: Bool
        /// Index among final (non-interim) messages; interim ones share the next final's.
        var finalIndex: Int
        var body: [UInt8] = []
        var isComplete = false
    }

    enum Event: Equatable {
        /// Head of message `index` complete, `end` bytes into the bytes just fed.
        case head(index: Int, end: Int)
        case complete(index: Int)
    }

    var parser: P
    var messages: [Message] = []
    var error: ParseError?
    var finalHeads = 0
    private var finished = false

    init(_ parser: P) {
        self.parser = parser
    }

    /// Feeds `bytes`; `method(k)` is the request method final response `k` answers.
    mutating func feed(_ bytes: [UInt8], method: (Int) -> Method = { _ in .get }) -> [Event] {
        guard error == nil, !finished else { return [] }
        var events: [Event] = []
        var offset = 0
        while true {
            if parser.isIdle { parser.expect(method(finalHeads)) }
            let step: ParseStep
            do throws(ParseError) {
                step = try parser.parse(bytes.span.extracting(offset...))
            } catch {
                self.error = error
                return events
            }
            switch step.event {
            case .needMore:
                break
            case .headComplete:
                let interim = parser.headIsInterim
                messages.append(Message(head: parser.head, isInterim: interim, finalIndex: finalHeads))
                if !interim { finalHeads += 1 }
                events.append(.head(index: messages.count - 1, end: offset + step.consumed))
            case .body(let range):
                messages[messages.count - 1].body += bytes[(offset + range.lowerBound)..<(offset + range.upperBound)]
            case .messageComplete:
                messages[messages.count - 1].isComplete = true
                events.append(.complete(index: messages.count - 1))
            }
            offset += step.consumed
            if step.event == .needMore { return events }
        }
    }

    /// The end of the stream (the peer closed): completes a close-delimited message.
    mutating func finish() -> [Event] {
        guard error == nil, !finished else { return [] }
        finished = true
        do throws(ParseError) {
            if try parser.finish() == .messageComplete, !messages.isEmpty {
                messages[messages.count - 1].isComplete = true
                return [.complete(index: messages.count - 1)]
            }
        } catch {
            // A truncated message: the recipient sees it cut short, which aborts may do.
        }
        return []
    }
}

extension Limits {
    /// Limits that never reject what a well-formed peer may send: the checks parse the
    /// proxy's output with these, so any rejection is malformed output, not a limit.
    static let unbounded: Limits = {
        var l = Limits()
        l.maxRequestLineBytes = 1 << 24; l.maxStatusLineBytes = 1 << 24; l.maxFieldLineBytes = 1 << 24
        l.maxFieldCount = 1 << 20; l.maxHeadBytes = 1 << 26; l.maxChunkExtensionBytes = 1 << 24
        l.maxTrailerBytes = 1 << 24; l.maxTrailerFieldCount = 1 << 20; l.maxBodyBytes = nil
        return l
    }()
}
