import SafeParse

/// A split-independent record of what a parser reported for a byte stream. Feeding the same
/// bytes in any pieces must give equal transcripts: body events are merged (their boundaries
/// depend on the pieces), everything else is kept as reported.
struct Transcript<Head: Equatable>: Equatable {
    enum Event: Equatable {
        case head(Head)
        case body([UInt8])
        case messageComplete(trailers: FieldsSummary)
        /// What `finish()` returned (only when the options ask for it).
        case finished(ParseEvent)
    }

    var events: [Event] = []
    /// The error the stream ended with, from `parse` or `finish`.
    var error: ParseError?
    /// Bytes consumed by the calls that returned.
    var consumed = 0
    /// `isIdle` after the last call.
    var idleAtEnd = false

    mutating func appendBody(_ bytes: ArraySlice<UInt8>) {
        if case .body(var previous) = events.last {
            previous.append(contentsOf: bytes)
            events[events.count - 1] = .body(previous)
        } else {
            events.append(.body(Array(bytes)))
        }
    }

    /// True when `other` tells the same story, however the bytes were split. Streams that end
    /// in an error must agree on the error and on every event before it, except how much of the
    /// body in progress was delivered before the error was detected (a parser may stream body
    /// bytes before it sees a limit crossed): those two bodies need only be prefixes of each
    /// other. `consumed` counts only calls that returned, so it is compared without an error.
    func agrees(with other: Transcript) -> Bool {
        guard error == other.error, idleAtEnd == other.idleAtEnd else { return false }
        guard error != nil else { return self == other }
        var mine = events, theirs = other.events
        var a: [UInt8] = [], b: [UInt8] = []
        if case .body(let bytes) = mine.last { a = bytes; mine.removeLast() }
        if case .body(let bytes) = theirs.last { b = bytes; theirs.removeLast() }
        return mine == theirs && (a.starts(with: b) || b.starts(with: a))
    }

    /// A short account of the first difference from `other`, for violation messages.
    func difference(from other: Transcript) -> String {
        if error != other.error { return "error \(String(describing: error)) vs \(String(describing: other.error))" }
        if error == nil && consumed != other.consumed { return "consumed \(consumed) vs \(other.consumed)" }
        for (i, (a, b)) in zip(events, other.events).enumerated() where a != b {
            return "event \(i): \(a) vs \(b)"
        }
        if events.count != other.events.count { return "\(events.count) events vs \(other.events.count)" }
        return "isIdle \(idleAtEnd) vs \(other.idleAtEnd)"
    }
}

/// One field line of a head or trailer section, as ranges into its section's bytes.
struct FieldSummary: Equatable {
    var name: Range<Int>
    var value: Range<Int>
    var line: Range<Int>
}

/// A head's field lines or a trailer section: the bytes as stored and the fields found in them.
struct FieldsSummary: Equatable {
    var bytes: [UInt8]
    var fields: [FieldSummary]
}
