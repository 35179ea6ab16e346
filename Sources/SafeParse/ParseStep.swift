/// What one call to `parse` produced. Call `parse` again with the unconsumed rest of the input
/// (possibly empty) until it returns `.needMore`: every other event either consumes bytes or
/// advances the message, so the loop always ends.
public enum ParseEvent: Sendable, Hashable {
    /// Everything given was consumed; nothing more can happen without more bytes.
    case needMore
    /// The head is complete and available as the parser's `head`.
    case headComplete
    /// Body bytes (after chunked decoding) at these indices of the input given to this call.
    case body(Range<Int>)
    /// The message (body and trailers included) is complete; the parser is ready for the next.
    case messageComplete
}

/// An event and how many bytes of the input, counted from its start, the call consumed.
/// For `.body(range)`, `range` lies within `0..<consumed`.
public struct ParseStep: Sendable, Hashable {
    public var event: ParseEvent
    public var consumed: Int

    public init(_ event: ParseEvent, consumed: Int) {
        self.event = event
        self.consumed = consumed
    }
}
