/// Byte-level comparisons that never build a `String` from input.
enum ASCII {
    /// True when `bytes[range]` equals `word` exactly (byte for byte).
    @inline(__always)
    static func equals(_ bytes: Span<UInt8>, _ range: Range<Int>, _ word: String) -> Bool {
        var i = range.lowerBound
        for b in word.utf8 {
            guard i < range.upperBound, bytes[i] == b else { return false }
            i += 1
        }
        return i == range.upperBound
    }

    /// True when `bytes[range]` equals `lowercaseWord` ignoring ASCII case.
    /// `lowercaseWord` must be lower case.
    @inline(__always)
    static func equalsIgnoringCase(_ bytes: Span<UInt8>, _ range: Range<Int>, _ lowercaseWord: String) -> Bool {
        let word = lowercaseWord.utf8
        // Most comparisons are of different names: the lengths (O(1) for a native string)
        // settle them without a byte loop.
        guard word.count == range.count else { return false }
        var i = range.lowerBound
        for b in word {
            guard ByteClass.lowercased(bytes[i]) == b else { return false }
            i += 1
        }
        return true
    }

    /// Parses `bytes[range]` as 1*DIGIT into a `UInt64`, overflow-checked. `.overflow` only
    /// for a well-formed number too large; any non-digit, even after the overflow, is `.invalid`.
    static func parseDecimal(_ bytes: Span<UInt8>, _ range: Range<Int>) -> DecimalResult {
        if range.isEmpty { return .invalid }
        var value: UInt64 = 0
        for i in range {
            let b = bytes[i]
            guard ByteClass.isDigit(b) else { return .invalid }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(b &- 0x30))
            if o1 || o2 {
                for j in (i + 1)..<range.upperBound where !ByteClass.isDigit(bytes[j]) { return .invalid }
                return .overflow
            }
            value = sum
        }
        return .value(value)
    }

    enum DecimalResult: Equatable {
        case value(UInt64)
        case invalid
        case overflow
    }
}
