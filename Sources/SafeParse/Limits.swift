/// Every size and count SafeParse enforces, in one value. All lengths are in bytes.
///
/// A limit is checked before the data it governs is stored, so no buffer ever grows past it.
/// Exceeding a limit fails with a typed `ParseError` whose `status` is the answer a server
/// should give (414, 431, 413 or 400).
public struct Limits: Sendable, Hashable {
    /// Request line including CRLF (and any empty lines before it). Default 8 KiB. Over: 414.
    public var maxRequestLineBytes: Int = 8 * 1024
    /// Response status line including CRLF. Default 8 KiB. Over: `statusLineTooLong`.
    public var maxStatusLineBytes: Int = 8 * 1024
    /// One header or trailer field line including CRLF. Default 8 KiB. Over: 431.
    public var maxFieldLineBytes: Int = 8 * 1024
    /// Header fields in one head (trailers are counted separately). Default 100. Over: 431.
    public var maxFieldCount: Int = 100
    /// The whole head: start line, field lines and the final CRLF. Default 64 KiB. Over: 431.
    public var maxHeadBytes: Int = 64 * 1024
    /// Chunk extensions of one chunk-size line: every byte after the size digits (whitespace
    /// before the first `;` included) up to, not including, the CR. Default 1 KiB. Over: 400.
    public var maxChunkExtensionBytes: Int = 1024
    /// The whole trailer section including its final CRLF. Default 8 KiB. Over: 431.
    public var maxTrailerBytes: Int = 8 * 1024
    /// Trailer fields in one message. Default 32. Over: 431.
    public var maxTrailerFieldCount: Int = 32
    /// Decoded body length; `nil` means unbounded (bodies stream). Over: 413.
    public var maxBodyBytes: UInt64? = nil

    public init() {}

    /// The defaults above.
    public static let `default` = Limits()
}
