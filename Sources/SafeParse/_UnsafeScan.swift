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

    /// Index of the first byte in `span[range]` that may not appear in a field value
    /// (RFC 9110 §5.5: anything but VCHAR, obs-text, SP and HTAB), or nil.
    static func firstInvalidFieldValueByte(in span: Span<UInt8>, _ range: Range<Int>) -> Int? {
        precondition(range.lowerBound >= 0 && range.upperBound <= span.count, "scan range outside input")
        return unsafe span.withUnsafeBufferPointer { buffer -> Int? in
            guard let base = buffer.baseAddress else { return nil }
            let raw = unsafe UnsafeRawPointer(base)
            var i = range.lowerBound
            // Words with no byte below 0x20 and no DEL are valid as a whole; others (HTAB is
            // below 0x20 but valid) are checked byte by byte.
            while i + 8 <= range.upperBound {
                let word = unsafe raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if hasByteBelow(word, 0x20) || hasByte(word, 0x7F) {
                    for j in i..<(i + 8) where !ByteClass.isFieldValueByte(unsafe base[j]) { return j }
                }
                i += 8
            }
            while i < range.upperBound {
                if !ByteClass.isFieldValueByte(unsafe base[i]) { return i }
                i += 1
            }
            return nil
        }
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
    @inline(__always)
    static func tokenEnd(in span: Span<UInt8>, _ range: Range<Int>) -> Int {
        classRunEnd(in: span, range, bit: ByteClass.tokenBit)
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
