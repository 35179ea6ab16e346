public import SafeParse

/// What a driver saw: the same four numbers for both parsers, compared at start-up so that
/// the two really parse the same messages the same way.
public struct Tally: Equatable, Sendable, CustomStringConvertible {
    public var heads = 0
    public var fields = 0
    public var bodyBytes = 0
    public var messages = 0

    public init() {}

    public var description: String {
        "heads=\(heads) fields=\(fields) bodyBytes=\(bodyBytes) messages=\(messages)"
    }
}

/// The two SafeParse parsers behind one interface, so one driver loop serves both.
public protocol SafeParseParser {
    mutating func parse(_ input: Span<UInt8>) throws(ParseError) -> ParseStep
    /// Header field lines of the current head.
    var fieldCount: Int { get }
}

extension RequestParser: SafeParseParser {
    public var fieldCount: Int { head.fields.count }
}

extension ResponseParser: SafeParseParser {
    public var fieldCount: Int { head.fields.count }
}

/// Drives SafeParse as the proxy does: each read is handed to `parse` until `.needMore`;
/// the consumer does the minimum (counts fields and body bytes).
public enum SafeParseDriver {
    /// Parses each message of `batch` as one read on one connection (keep-alive: the same
    /// parser for the whole batch).
    @inline(never)
    public static func parse<P: SafeParseParser>(_ batch: [[UInt8]], with parser: inout P, into tally: inout Tally) throws(ParseError) {
        for message in batch {
            try feed(message.span, to: &parser, into: &tally)
        }
    }

    /// Parses one read (any number of messages, possibly a partial one at the end).
    @inline(__always)
    public static func feed<P: SafeParseParser>(_ input: Span<UInt8>, to parser: inout P, into tally: inout Tally) throws(ParseError) {
        var offset = 0
        while true {
            let step = try parser.parse(input.extracting(offset...))
            switch step.event {
            case .needMore:
                return
            case .headComplete:
                tally.heads &+= 1
                tally.fields &+= parser.fieldCount
            case .body(let range):
                tally.bodyBytes &+= range.count
            case .messageComplete:
                tally.messages &+= 1
            }
            offset &+= step.consumed
        }
    }
}
