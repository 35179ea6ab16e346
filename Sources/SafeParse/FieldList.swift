/// Splits a list-valued field (RFC 9110 §5.6.1: `#element`) into its members: commas separate,
/// OWS around members is dropped, empty members are skipped, and commas inside a quoted-string
/// do not split. Yields ranges into the bytes; allocates nothing.
enum FieldList {
    /// Calls `body` with each non-empty member of `bytes[range]`, trimmed.
    static func forEach<E: Error>(_ bytes: Span<UInt8>, _ range: Range<Int>, _ body: (Range<Int>) throws(E) -> Void) throws(E) {
        var i = range.lowerBound
        while i < range.upperBound {
            var end = i
            var inQuotes = false
            while end < range.upperBound {
                let b = bytes[end]
                if inQuotes {
                    if b == ByteClass.backslash { end += 2; continue }
                    if b == ByteClass.dquote { inQuotes = false }
                } else if b == ByteClass.dquote {
                    inQuotes = true
                } else if b == ByteClass.comma {
                    break
                }
                end += 1
            }
            end = min(end, range.upperBound)
            var a = i, z = end
            while a < z && ByteClass.isWhitespace(bytes[a]) { a += 1 }
            while z > a && ByteClass.isWhitespace(bytes[z - 1]) { z -= 1 }
            if a < z { try body(a..<z) }
            i = end + 1
        }
    }
}
