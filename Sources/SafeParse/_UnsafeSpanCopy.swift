// The only pointer code in SafeParse: a bulk copy from a parser input `Span` into owned storage.
// `Span` has no `append(contentsOf:)` counterpart on `Array`, and a per-byte loop costs several
// times more on long header lines. The range is checked before the pointer is formed, and the
// pointer never leaves the closure. Covered by the ASan test run and the parser fuzz targets.

extension Array where Element == UInt8 {
    /// Appends `span[range]`. Traps (a caller's bug, not input) if `range` is not within `span`.
    @inlinable
    public mutating func append(_ span: Span<UInt8>, _ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= span.count, "copy range outside input")
        unsafe span.withUnsafeBufferPointer { buffer in
            unsafe self.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[range]))
        }
    }
}
