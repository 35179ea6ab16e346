// Fast byte scans for SafeParse's hot loops: the end-of-line search and the validity checks
// of field values and request-targets. Pointer code, fenced here: each function checks its
// range against the span before forming a pointer, reads only inside that range (8-byte words
// are loaded only while 8 bytes remain), and lets no pointer escape. Covered by the ASan test
// run, the split-invariance tests and the parser fuzz targets.
#if canImport(Glibc)
import Glibc
#endif

enum Scan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080
    private static let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F

    /// Index of the first `byte` in `span[range]`, or nil (glibc memchr: vectorised).
    @inline(__always)
    static func firstIndex(of byte: UInt8, in span: Span<UInt8>, _ range: Range<Int>) -> Int? {
        precondition(range.lowerBound >= 0 && range.upperBound <= span.count, "scan range outside input")
        if range.isEmpty { return nil }
        return unsafe span.withUnsafeBufferPointer { buffer -> Int? in
            guard let base = buffer.baseAddress else { return nil }
            guard let hit = unsafe memchr(base + range.lowerBound, Int32(byte), range.count) else { return nil }
            return unsafe UnsafeRawPointer(hit) - UnsafeRawPointer(base)
        }
    }

    /// True when some byte of `word` is below `n` (n <= 128); bytes >= 0x80 never count.
    @inline(__always)
    private static func hasByteBelow(_ word: UInt64, _ n: UInt64) -> Bool {
        (word &- ones &* n) & ~word & highs != 0
    }

    /// True when some byte of `word` equals `b`.
    @inline(__always)
    private static func hasByte(_ word: UInt64, _ b: UInt64) -> Bool {
        let x = word ^ (ones &* b)
        return (x &- ones) & ~x & highs != 0
    }

    /// Per byte of `word`: 0x80 where the byte is below 0x20 (a control character, HTAB
    /// included) or is DEL, 0 elsewhere. Exact: no carry crosses a byte.
    @inline(__always)
    private static func controlMask(_ word: UInt64) -> UInt64 {
        // (b & 0x7F) + 0x60 reaches 0x80 exactly when b & 0x7F >= 0x20; bytes >= 0x80 never count.
        let below = ~((word & lows) &+ ones &* 0x60 | word) & highs
        return below | exactZeroMask(word ^ (ones &* 0x7F))
    }

    /// Per byte of `word`: 0x80 where the byte is zero, 0 elsewhere (exact, unlike `hasByte`).
    @inline(__always)
    private static func exactZeroMask(_ word: UInt64) -> UInt64 {
        return ~(((word & lows) &+ lows) | word | lows)
    }

    /// Index of the first byte in `span[range]` that may not appear in a field value
    /// (RFC 9110 §5.5: anything but VCHAR, obs-text, SP and HTAB), or nil.
    static func firstInvalidFieldValueByte(in span: Span<UInt8>, _ range: Range<Int>) -> Int? {
        precondition(range.lowerBound >= 0 && range.upperBound <= span.count, "scan range outside input")
        return unsafe span.withUnsafeBufferPointer { buffer -> Int? in
            guard let base = buffer.baseAddress else { return nil }
            let raw = unsafe UnsafeRawPointer(base)
            var i = range.lowerBound
            // A word's first control byte or DEL is found by its position in the mask; HTAB
            // (a control byte, but valid) is stepped over. Little-endian: byte 0 is the lowest.
            while i &+ 8 <= range.upperBound {
                let mask = controlMask(unsafe raw.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian)
                if mask == 0 { i &+= 8; continue }
                let j = i &+ mask.trailingZeroBitCount >> 3
                if unsafe base[j] != ByteClass.htab { return j }
                i = j &+ 1
            }
            while i < range.upperBound {
                if !ByteClass.isFieldValueByte(unsafe base[i]) { return i }
                i &+= 1
            }
            return nil
        }
    }

    /// Per byte of `word`: 0x80 where the byte is an ASCII letter, digit or "-" (the token
    /// characters of almost every field name), 0 elsewhere. Exact: no carry crosses a byte.
    @inline(__always)
    private static func letterDigitDashMask(_ word: UInt64) -> UInt64 {
        let x = word & lows
        let lower = x | ones &* 0x20 // letters become 0x61...0x7A; nothing else lands there
        // b >= lo: (b + 0x80 - lo) has bit 7 set; b <= hi: (b + 0x7F - hi) has it clear.
        let letter = (lower &+ ones &* (0x80 - 0x61)) & ~(lower &+ ones &* (0x7F - 0x7A))
        let digit = (x &+ ones &* (0x80 - 0x30)) & ~(x &+ ones &* (0x7F - 0x39))
        return (letter | digit | exactZeroMask(x ^ (ones &* 0x2D))) & ~word & highs
    }

    /// End of the run of bytes whose `ByteClass.table` entry has `bit`, from `range.lowerBound`.
    @inline(__always)
    private static func classRunEnd(in span: Span<UInt8>, _ range: Range<Int>, bit: UInt8) -> Int {
        precondition(range.lowerBound >= 0 && range.upperBound <= span.count, "scan range outside input")
        return unsafe span.withUnsafeBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress else { return range.lowerBound }
            return unsafe ByteClass.table.withUnsafeBufferPointer { table -> Int in
                guard let classes = table.baseAddress else { return range.lowerBound }
                var i = range.lowerBound
                while i < range.upperBound && (unsafe classes[Int(unsafe base[i])]) & bit != 0 { i += 1 }
                return i
            }
        }
    }

    /// End of the run of token characters (RFC 9110 §5.6.2) starting at `range.lowerBound`.
    /// Runs of letters, digits and "-" are skipped a word at a time; the table decides the rest.
    @inline(__always)
    static func tokenEnd(in span: Span<UInt8>, _ range: Range<Int>) -> Int {
        precondition(range.lowerBound >= 0 && range.upperBound <= span.count, "scan range outside input")
        let start = unsafe span.withUnsafeBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress else { return range.lowerBound }
            let raw = unsafe UnsafeRawPointer(base)
            var i = range.lowerBound
            while i &+ 8 <= range.upperBound {
                let other = ~letterDigitDashMask(unsafe raw.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian) & highs
                if other != 0 { return i &+ other.trailingZeroBitCount >> 3 }
                i &+= 8
            }
            return i
        }
        return classRunEnd(in: span, start..<range.upperBound, bit: ByteClass.tokenBit)
    }

    /// End of the run of unreserved characters (RFC 3986 §2.3) starting at `range.lowerBound`.
    @inline(__always)
    static func unreservedEnd(in span: Span<UInt8>, _ range: Range<Int>) -> Int {
        classRunEnd(in: span, range, bit: ByteClass.unreservedBit)
    }

    /// True when `span[range]` equals `word` ignoring ASCII case; `word` must be lower case.
    /// (A byte-pointer compare: `String.utf8` iteration costs several times more per byte.)
    @inline(__always)
    static func equalsLowercase(_ span: Span<UInt8>, _ range: Range<Int>, _ word: StaticString) -> Bool {
        precondition(range.lowerBound >= 0 && range.upperBound <= span.count, "scan range outside input")
        guard word.utf8CodeUnitCount == range.count else { return false }
        return unsafe span.withUnsafeBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return range.isEmpty }
            let w = unsafe word.utf8Start
            for i in 0..<range.count {
                let expected = unsafe w[i]
                if ByteClass.lowercased(unsafe base[range.lowerBound + i]) != expected { return false }
            }
            return true
        }
    }

    /// Index of the first byte in `span[range]` outside VCHAR (0x21...0x7E), or nil. In a
    /// request line this finds the SP that ends the request-target, or an invalid byte.
    static func firstNonVisibleByte(in span: Span<UInt8>, _ range: Range<Int>) -> Int? {
        precondition(range.lowerBound >= 0 && range.upperBound <= span.count, "scan range outside input")
        return unsafe span.withUnsafeBufferPointer { buffer -> Int? in
            guard let base = buffer.baseAddress else { return nil }
            let raw = unsafe UnsafeRawPointer(base)
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let word = unsafe raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if hasByteBelow(word, 0x21) || hasByte(word, 0x7F) || word & highs != 0 {
                    for j in i..<(i + 8) where !ByteClass.isTargetByte(unsafe base[j]) { return j }
                }
                i += 8
            }
            while i < range.upperBound {
                if !ByteClass.isTargetByte(unsafe base[i]) { return i }
                i += 1
            }
            return nil
        }
    }
}
