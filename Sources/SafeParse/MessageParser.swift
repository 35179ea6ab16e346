/// The head-specific half of a parser: start-line grammar and the framing rules applied once
/// the head is complete. `RequestHead` and `ResponseHead` conform.
protocol ParsedHead {
    var fields: HeaderFields { get set }
    /// Request parsers skip empty lines before the request line (RFC 9112 §2.2); response parsers do not.
    static var skipsLeadingEmptyLines: Bool { get }
    static func startLineLimit(_ limits: Limits) -> (bytes: Int, error: ParseError)
    /// Parses the start line at `bytes[line]`; stored ranges are those of `bytes` plus `shift`
    /// (the start line is parsed in the input, and stored at `index + shift`).
    mutating func parseStartLine(_ bytes: Span<UInt8>, _ line: Range<Int>, shift: Int) throws(ParseError)
    mutating func completeHead(limits: Limits, requestMethod: Method) throws(ParseError) -> BodyFraming
}

/// The state machine shared by requests and responses: line accumulation for the head and the
/// trailers, and body decoding (Content-Length, chunked, until close, tunnel).
///
/// Invariants: head bytes never exceed `limits.maxHeadBytes`, a line never exceeds its limit,
/// and nothing is stored before its limit is checked. After an error every call rethrows it.
struct MessageParser: Sendable {
    enum Phase: Sendable, Equatable {
        case startLine
        case fieldLines
        case fixedBody
        case untilClose
        case chunkSizeLine
        case chunkData
        case chunkDataCR
        case chunkDataLF
        case trailerLines
        case messageEnd
        case tunnel
        case failed(ParseError)
    }

    let limits: Limits
    var phase = Phase.startLine
    /// Start of the current line in the storage being filled (head or trailers).
    var lineStart = 0
    /// Empty lines skipped before a request line, counted against the request-line limit.
    var skippedBytes = 0
    /// Body bytes still expected: of a Content-Length body, or of the current chunk.
    var remaining: UInt64 = 0
    /// Decoded body bytes so far (checked against `limits.maxBodyBytes`).
    var bodyBytes: UInt64 = 0
    var chunkLine = ChunkSizeLine()
    var trailers = HeaderFields()
    /// True once a message completed; storage is cleared when the next one starts.
    var needsReset = false
    /// Bytes consumed since the parser was created.
    var streamOffset: UInt64 = 0
    /// Stream offset at which the error was found, once failed.
    var errorOffset: UInt64?

    init(limits: Limits) {
        self.limits = limits
    }

    /// True between messages: no byte of a next message has been stored (empty lines that
    /// precede a request line do not count).
    func isIdle(headBytes: Int) -> Bool {
        phase == .startLine && (needsReset || headBytes == 0)
    }

    mutating func parse<Head: ParsedHead>(_ input: Span<UInt8>, head: inout Head, requestMethod: Method) throws(ParseError) -> ParseStep {
        if case .failed(let error) = phase { throw error }
        var offset = 0
        do {
            let step = try step(input, &offset, head: &head, requestMethod: requestMethod)
            streamOffset &+= UInt64(step.consumed)
            return step
        } catch {
            errorOffset = streamOffset &+ UInt64(offset)
            phase = .failed(error)
            throw error
        }
    }

    /// The end of the stream. Returns `.messageComplete` when it ends an until-close body,
    /// `.needMore` when it falls between messages, and throws `.truncatedMessage` otherwise.
    mutating func finish(headBytes: Int) throws(ParseError) -> ParseEvent {
        if case .failed(let error) = phase { throw error }
        switch phase {
        case .untilClose:
            phase = .startLine
            needsReset = true
            return .messageComplete
        case .tunnel:
            return .needMore
        default:
            if isIdle(headBytes: headBytes) { return .needMore }
            phase = .failed(.truncatedMessage)
            errorOffset = streamOffset
            throw .truncatedMessage
        }
    }

    private mutating func step<Head: ParsedHead>(_ input: Span<UInt8>, _ offset: inout Int, head: inout Head, requestMethod: Method) throws(ParseError) -> ParseStep {
        while true {
            switch phase {
            case .startLine, .fieldLines:
                if offset == input.count { return ParseStep(.needMore, consumed: offset) }
                if needsReset {
                    head.fields.removeAll()
                    if !trailers.bytes.isEmpty { trailers.removeAll() }
                    needsReset = false
                    lineStart = 0
                    skippedBytes = 0
                    bodyBytes = 0
                }
                // (Entry offsets are 32-bit: inputs beyond 2 GiB take the line-by-line path.)
                if lineStart == head.fields.bytes.count && input.count <= Int(Int32.max) {
                    if try readLinesInPlace(input, &offset, head: &head, requestMethod: requestMethod) {
                        return ParseStep(.headComplete, consumed: offset)
                    }
                    continue
                }
                if try readHeadLine(input, &offset, head: &head, requestMethod: requestMethod) {
                    return ParseStep(.headComplete, consumed: offset)
                }
            case .fixedBody, .chunkData:
                if remaining == 0 {
                    phase = phase == .fixedBody ? .messageEnd : .chunkDataCR
                    continue
                }
                let available = input.count - offset
                if available == 0 { return ParseStep(.needMore, consumed: offset) }
                let take = UInt64(available) < remaining ? available : Int(remaining)
                remaining -= UInt64(take)
                let range = offset..<(offset + take)
                offset += take
                if remaining == 0 && phase == .chunkData { takeNextChunkSizeLine(input, &offset) }
                return ParseStep(.body(range), consumed: offset)
            case .untilClose, .tunnel:
                let available = input.count - offset
                if available == 0 { return ParseStep(.needMore, consumed: offset) }
                var take = available
                if phase == .untilClose {
                    // Deliver up to the limit and fail at the first byte past it, however the input is split.
                    if let max = limits.maxBodyBytes {
                        let room = max - bodyBytes // countBody keeps bodyBytes <= max
                        if room == 0 { throw .bodyTooLarge }
                        if UInt64(take) > room { take = Int(room) }
                    }
                    try countBody(UInt64(take))
                }
                let range = offset..<(offset + take)
                offset += take
                return ParseStep(.body(range), consumed: offset)
            case .chunkSizeLine:
                if chunkLine.state == .size && chunkLine.digits == 0,
                   let (size, next) = Self.simpleChunkSize(input, from: offset, maxExtensionBytes: limits.maxChunkExtensionBytes) {
                    // Fast path: the whole line is here in its usual form; same checks as the machine.
                    offset = next
                    try enterChunk(size)
                    continue
                }
                while offset < input.count {
                    let b = input[offset]
                    offset += 1
                    if try chunkLine.feed(b, maxExtensionBytes: limits.maxChunkExtensionBytes) {
                        let size = chunkLine.size
                        chunkLine.reset()
                        try enterChunk(size)
                        break
                    }
                }
                if phase == .chunkSizeLine { return ParseStep(.needMore, consumed: offset) }
            case .chunkDataCR, .chunkDataLF:
                // RFC 9112 §7.1: chunk-data is followed by exactly CRLF.
                if offset == input.count { return ParseStep(.needMore, consumed: offset) }
                if phase == .chunkDataCR, offset + 1 < input.count, input[offset] == ByteClass.cr, input[offset + 1] == ByteClass.lf {
                    offset += 2
                    phase = .chunkSizeLine
                    continue
                }
                let expected = phase == .chunkDataCR ? ByteClass.cr : ByteClass.lf
                guard input[offset] == expected else {
                    throw input[offset] == ByteClass.lf ? .bareLF : .invalidChunkTerminator // §2.2: no bare LF
                }
                offset += 1
                phase = phase == .chunkDataCR ? .chunkDataLF : .chunkSizeLine
            case .trailerLines:
                if offset == input.count { return ParseStep(.needMore, consumed: offset) }
                // No trailers (the common case): the CRLF ends the message, no line to parse.
                // The CRLF counts against both trailer limits, as on the line-by-line path.
                if trailers.bytes.isEmpty, limits.maxTrailerBytes >= 2, limits.maxFieldLineBytes >= 2,
                   offset + 1 < input.count,
                   input[offset] == ByteClass.cr, input[offset + 1] == ByteClass.lf {
                    trailers.bytes.append(input, offset..<(offset + 2)) // storage mirrors the wire
                    offset += 2
                    phase = .messageEnd
                    continue
                }
                if try readTrailerLine(input, &offset) {
                    phase = .messageEnd
                }
            case .messageEnd:
                phase = .startLine
                needsReset = true
                return ParseStep(.messageComplete, consumed: offset)
            case .failed(let error):
                throw error
            }
        }
    }

    /// A chunk-size line entirely within `input[from...]`: 1 to 16 hex digits (which cannot
    /// overflow), optionally extensions of the plain form `;name` or `;name=value` (tokens, no
    /// whitespace, no quoted strings) within `maxExtensionBytes`, then CRLF. Returns the size
    /// and the index after the LF, or nil to let `ChunkSizeLine` take the line byte by byte
    /// (which accepts the rest of the grammar and reports the errors). Accepts nothing the
    /// machine rejects, so the result never depends on which path took the line.
    @inline(__always)
    private static func simpleChunkSize(_ input: Span<UInt8>, from start: Int, maxExtensionBytes: Int) -> (UInt64, Int)? {
        var size: UInt64 = 0
        var i = start
        let end = min(input.count, start + 16)
        while i < end, let v = ByteClass.hexValue(input[i]) {
            size = size << 4 | v
            i += 1
        }
        guard i > start, i < input.count else { return nil }
        if input[i] == ByteClass.semicolon {
            // ChunkSizeLine counts extension bytes from the first ";" up to the CR.
            let extensionStart = i
            let limit = maxExtensionBytes < input.count - extensionStart ? extensionStart + max(maxExtensionBytes, 0) : input.count
            while i < limit && input[i] == ByteClass.semicolon {
                let nameEnd = Scan.tokenEnd(in: input, (i + 1)..<limit)
                guard nameEnd > i + 1 else { return nil }
                i = nameEnd
                if i < limit && input[i] == ByteClass.equals {
                    let valueEnd = Scan.tokenEnd(in: input, (i + 1)..<limit)
                    guard valueEnd > i + 1 else { return nil }
                    i = valueEnd
                }
            }
        }
        guard i + 1 < input.count, input[i] == ByteClass.cr, input[i + 1] == ByteClass.lf else { return nil }
        return (size, i + 2)
    }

    /// At the end of a chunk's data: when the CRLF after it and the next chunk-size line (in the
    /// form `simpleChunkSize` takes) are already in `input`, and the new chunk fits the body
    /// limit, consumes them and enters the next chunk (or the trailers), so that a chunked body
    /// costs one call per chunk. Anything else (a line split across inputs, a quoted extension,
    /// an error) is left to the phase machine, which reports it exactly as before: this only
    /// consumes bytes that cannot fail, so the events are the same for every split.
    @inline(__always)
    private mutating func takeNextChunkSizeLine(_ input: Span<UInt8>, _ offset: inout Int) {
        guard offset + 2 < input.count, input[offset] == ByteClass.cr, input[offset + 1] == ByteClass.lf,
              let (size, next) = Self.simpleChunkSize(input, from: offset + 2, maxExtensionBytes: limits.maxChunkExtensionBytes),
              size == 0 || bodyTotal(adding: size) != nil else { return }
        offset = next
        try? enterChunk(size) // cannot throw: the size fits the limit (checked just above)
    }

    /// After a chunk-size line: the chunk's data, or the trailers after the last chunk.
    private mutating func enterChunk(_ size: UInt64) throws(ParseError) {
        if size == 0 {
            phase = .trailerLines
            lineStart = 0
        } else {
            try countBody(size)
            remaining = size
            phase = .chunkData
        }
    }

    /// Decoded body bytes after `n` more, or nil when that overflows or passes `maxBodyBytes`.
    private func bodyTotal(adding n: UInt64) -> UInt64? {
        let (total, overflow) = bodyBytes.addingReportingOverflow(n)
        if overflow { return nil }
        if let max = limits.maxBodyBytes, total > max { return nil }
        return total
    }

    private mutating func countBody(_ n: UInt64) throws(ParseError) {
        guard let total = bodyTotal(adding: n) else { throw .bodyTooLarge }
        bodyBytes = total
    }

    /// Appends the current line's bytes from `input` to `storage`, checking the limits first.
    /// Returns true when the line's LF has been stored (the line is `storage[lineStart...]`).
    private static func accumulateLine(_ input: Span<UInt8>, _ offset: inout Int, into storage: inout [UInt8],
                                       lineStart: Int, skippedBytes: Int, lineLimit: Int, lineError: ParseError,
                                       totalLimit: Int, totalError: ParseError) throws(ParseError) -> Bool {
        let lineSoFar = storage.count - lineStart + skippedBytes
        // Never scan past what the line, or the whole, may still hold: a missing LF fails at the
        // limit it crosses first (the line limit on a tie), whatever the split of the input.
        let lineBudget = lineLimit - lineSoFar
        let totalBudget = totalLimit - storage.count
        let budget = max(min(lineBudget, totalBudget), 0)
        let scanEnd = offset + min(input.count - offset, budget)
        let i = Scan.firstIndex(of: ByteClass.lf, in: input, offset..<scanEnd) ?? scanEnd
        let complete = i < scanEnd
        let take = complete ? i + 1 - offset : scanEnd - offset
        if !complete && scanEnd < input.count { throw lineBudget <= totalBudget ? lineError : totalError }
        storage.append(input, offset..<(offset + take))
        offset += take
        return complete
    }

    /// Fast path when no partial line is pending: complete lines (start line and field lines)
    /// are parsed straight from `input` and stored with one copy per call. Same grammar, same
    /// limits and the same first error, in the same order, as line-by-line `readHeadLine`
    /// (which takes over for a line split across inputs). Returns true when the head is complete.
    private mutating func readLinesInPlace<Head: ParsedHead>(_ input: Span<UInt8>, _ offset: inout Int, head: inout Head, requestMethod: Method) throws(ParseError) -> Bool {
        var chunkStart = offset
        let stored = head.fields.bytes.count
        var shift = stored - chunkStart // storage index = input index + shift
        var pos = offset
        // The start line (and any empty lines before a request line).
        while phase == .startLine && pos < input.count {
            let (lineLimit, lineError) = Head.startLineLimit(limits)
            let lineBudget = lineLimit - skippedBytes
            let totalBudget = limits.maxHeadBytes - (stored + pos - chunkStart)
            let scanEnd = pos + min(input.count - pos, max(min(lineBudget, totalBudget), 0))
            guard let lf = Scan.firstIndex(of: ByteClass.lf, in: input, pos..<scanEnd) else {
                offset = scanEnd
                if scanEnd < input.count { throw lineBudget <= totalBudget ? lineError : .headTooLarge }
                break // a partial line: stored below, finished by readHeadLine
            }
            offset = lf
            // RFC 9112 §2.2: lines end in CRLF; a bare LF is rejected (see lineContent).
            guard lf > pos, input[lf - 1] == ByteClass.cr else { throw .bareLF }
            let content = pos..<(lf - 1)
            pos = lf + 1
            if content.isEmpty {
                // RFC 9112 §2.2: empty lines before a request-line are skipped, not stored.
                guard Head.skipsLeadingEmptyLines else { throw .invalidStatusLine }
                skippedBytes += 2
                chunkStart = pos
                shift = stored - chunkStart
                continue
            }
            try head.parseStartLine(input, content, shift: shift)
            phase = .fieldLines
            skippedBytes = 0
        }
        // Field lines. Offsets stay below 2^31 (the caller admits inputs up to Int32.max and
        // heads are bounded), so the arithmetic here cannot wrap.
        let lineLimit = limits.maxFieldLineBytes
        let headLimit = limits.maxHeadBytes
        let maxFields = limits.maxFieldCount
        while phase == .fieldLines && pos < input.count {
            let totalBudget = headLimit &- (stored &+ pos &- chunkStart)
            let scanEnd = pos &+ min(input.count &- pos, max(min(lineLimit, totalBudget), 0))
            if let (entry, next) = FieldLine.parseComplete(input, from: pos, scanEnd: scanEnd, shift: shift) {
                offset = next &- 1
                guard head.fields.entries.count < maxFields else { throw .tooManyFields }
                head.fields.entries.append(entry)
                pos = next
                continue
            }
            guard let lf = Scan.firstIndex(of: ByteClass.lf, in: input, pos..<scanEnd) else {
                offset = scanEnd
                if scanEnd < input.count { throw lineLimit <= totalBudget ? .fieldLineTooLong : .headTooLarge }
                break // a partial line: stored below, finished by readHeadLine
            }
            offset = lf
            // RFC 9112 §2.2: lines end in CRLF; a bare LF is rejected (see lineContent).
            guard lf > pos, input[lf &- 1] == ByteClass.cr else { throw .bareLF }
            let content = pos..<(lf &- 1)
            pos = lf &+ 1
            if content.isEmpty {
                head.fields.bytes.append(input, chunkStart..<pos)
                offset = pos
                lineStart = head.fields.bytes.count
                let framing = try head.completeHead(limits: limits, requestMethod: requestMethod)
                enterBody(framing)
                return true
            }
            guard head.fields.entries.count < maxFields else { throw .tooManyFields }
            head.fields.entries.append(try FieldLine.parse(input, content, shift: shift))
        }
        head.fields.bytes.append(input, chunkStart..<input.count)
        offset = input.count
        lineStart = stored + (pos - chunkStart)
        return false
    }

    /// Reads one head line; returns true when the head is complete.
    private mutating func readHeadLine<Head: ParsedHead>(_ input: Span<UInt8>, _ offset: inout Int, head: inout Head, requestMethod: Method) throws(ParseError) -> Bool {
        let isStart = phase == .startLine
        let (lineLimit, lineError) = isStart ? Head.startLineLimit(limits)
            : (limits.maxFieldLineBytes, ParseError.fieldLineTooLong)
        guard try Self.accumulateLine(input, &offset, into: &head.fields.bytes, lineStart: lineStart,
                                      skippedBytes: skippedBytes, lineLimit: lineLimit, lineError: lineError,
                                 totalLimit: limits.maxHeadBytes, totalError: .headTooLarge)
        else { return false }
        let lineEnd = head.fields.bytes.count
        let content = try Self.lineContent(head.fields.bytes, lineStart..<lineEnd)
        if isStart {
            if content.isEmpty {
                // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line.
                guard Head.skipsLeadingEmptyLines else { throw .invalidStatusLine }
                skippedBytes += lineEnd - lineStart
                head.fields.bytes.removeSubrange(lineStart..<lineEnd)
                return false
            }
            let storedBytes = head.fields.bytes // shares storage: nothing is appended while it lives
            try head.parseStartLine(storedBytes.span, content, shift: 0)
            phase = .fieldLines
            skippedBytes = 0
        } else if content.isEmpty {
            let framing = try head.completeHead(limits: limits, requestMethod: requestMethod)
            enterBody(framing)
            return true
        } else {
            guard head.fields.entries.count < limits.maxFieldCount else { throw .tooManyFields }
            let entry = try FieldLine.parse(head.fields.bytes.span, content)
            head.fields.entries.append(entry)
        }
        lineStart = lineEnd
        return false
    }

    /// Reads one trailer line into `trailers`; returns true at the empty line that ends them.
    private mutating func readTrailerLine(_ input: Span<UInt8>, _ offset: inout Int) throws(ParseError) -> Bool {
        guard try Self.accumulateLine(input, &offset, into: &trailers.bytes, lineStart: lineStart,
                                      skippedBytes: 0, lineLimit: limits.maxFieldLineBytes,
                                 lineError: .fieldLineTooLong, totalLimit: limits.maxTrailerBytes,
                                 totalError: .trailerTooLarge)
        else { return false }
        let lineEnd = trailers.bytes.count
        let content = try Self.lineContent(trailers.bytes, lineStart..<lineEnd)
        if content.isEmpty { return true }
        guard trailers.entries.count < limits.maxTrailerFieldCount else { throw .tooManyTrailerFields }
        // RFC 9110 §6.5: trailer fields follow the field-line grammar.
        let entry = try FieldLine.parse(trailers.bytes.span, content)
        // RFC 9110 §6.5.1: framing fields must not be sent in trailers. Parsers differ on what
        // they do with one (llhttp keeps waiting after `Content-Length:` in a trailer), so a
        // message carrying one is refused rather than passed to a peer that may disagree.
        let name = Int(entry.nameStart)..<Int(entry.nameEnd)
        if ASCII.equalsIgnoringCase(trailers.bytes.span, name, "content-length")
            || ASCII.equalsIgnoringCase(trailers.bytes.span, name, "transfer-encoding") {
            throw .framingFieldInTrailer
        }
        trailers.entries.append(entry)
        lineStart = lineEnd
        return false
    }

    /// The line without its CRLF. RFC 9112 §2.2: lines end in CRLF; a bare LF is rejected here
    /// (our documented choice: a lone LF is how request smuggling through lenient parsers starts).
    private static func lineContent(_ storage: [UInt8], _ line: Range<Int>) throws(ParseError) -> Range<Int> {
        guard line.count >= 2, storage[line.upperBound - 2] == ByteClass.cr else { throw .bareLF }
        return line.lowerBound..<(line.upperBound - 2)
    }

    private mutating func enterBody(_ framing: BodyFraming) {
        lineStart = 0
        switch framing {
        case .none: phase = .messageEnd
        case .contentLength(let n): remaining = n; phase = .fixedBody
        case .chunked: chunkLine.reset(); phase = .chunkSizeLine
        case .untilClose: phase = .untilClose
        case .tunnel: phase = .tunnel
        }
    }
}
