import Testing
import SafeParse

/// The parser's contract: the events are the same however the input is split. Every table row
/// (up to `maxWholeSplitBytes`) is parsed whole, byte by byte, split in two at every point, and
/// split in three at a spread of point pairs; each transcript, error included, must equal the
/// whole-buffer one (`ParseTranscript.splitIndependent`).
@Suite struct SplitInvarianceTests {
    /// Rows up to this size get every split point (keeps the debug run short).
    static let maxWholeSplitBytes = 400

    static let rows: [MessageCase] = (RequestCases.all + ResponseCases.all + ChunkedCases.all + LimitCases.small)
        .filter { $0.raw.count <= maxWholeSplitBytes }

    @Test func theSplitTablesCoverNearlyEveryRow() {
        let all = RequestCases.all.count + ResponseCases.all.count + ChunkedCases.all.count + LimitCases.small.count
        #expect(Self.rows.count >= all - 5)
    }

    @Test(arguments: rows)
    func everySplitGivesTheWholeBufferTranscript(_ row: MessageCase) {
        let whole = row.run().splitIndependent
        let raw = row.raw
        #expect(row.run(raw.map { [$0] }).splitIndependent == whole, "byte by byte")
        var failures = 0
        for i in 0...raw.count where failures < 3 {
            let t = row.run([Array(raw[..<i]), Array(raw[i...])]).splitIndependent
            if t != whole { failures += 1 }
            #expect(t == whole, "split at \(i)")
        }
        for (i, j) in Self.threeWaySplits(raw.count) where failures < 3 {
            let t = row.run([Array(raw[..<i]), Array(raw[i..<j]), Array(raw[j...])]).splitIndependent
            if t != whole { failures += 1 }
            #expect(t == whole, "split at \(i) and \(j)")
        }
    }

    /// Rows at the default limits are too large for every split point: they are fed byte by
    /// byte and in pieces of a few sizes that do not divide the limits.
    @Test(arguments: LimitCases.defaults)
    func defaultLimitRowsGiveTheSameTranscriptInPiecesOfAnySize(_ row: MessageCase) {
        let whole = row.run().splitIndependent
        for size in [1, 7, 1000, 4099] {
            let pieces = stride(from: 0, to: row.raw.count, by: size).map { Array(row.raw[$0..<min($0 + size, row.raw.count)]) }
            #expect(row.run(pieces).splitIndependent == whole, "pieces of \(size) bytes")
        }
    }

    /// About 60 pairs `i <= j` spread over `0...n`, including the ends.
    static func threeWaySplits(_ n: Int) -> [(Int, Int)] {
        let step = max(1, n / 7)
        var pairs: [(Int, Int)] = [(0, 0), (0, n), (n, n)]
        for i in stride(from: 1, to: n, by: step) {
            for j in stride(from: i, through: n, by: step) { pairs.append((i, j)) }
        }
        return pairs
    }

    /// A complete message followed by itself parses to the same messages twice: nothing of one
    /// message (fields, trailers, limits counted) leaks into the next.
    @Test(arguments: (RequestCases.all + ResponseCases.all + ChunkedCases.all).filter { row in
        var atEnd = row
        atEnd.eof = true // rows that end inside a next message are left out
        return row.error == nil && !row.eof && !row.messages.isEmpty && row.messages.allSatisfy(\.complete)
            && atEnd.run().error == nil
    })
    func aCompleteStreamRepeatedParsesToItsMessagesTwice(_ row: MessageCase) {
        var twice = row
        twice.raw = row.raw + row.raw
        let t = twice.run()
        #expect(t.error == nil)
        #expect(t.messages == row.messages + row.messages)
    }

    /// Replacing any CRLF of a valid head by a bare LF is rejected as `bareLF`
    /// (RFC 9112 §2.2 allows accepting it; we never do).
    @Test(arguments: (RequestCases.all + ResponseCases.all + ChunkedCases.all).filter { $0.error == nil && !$0.messages.isEmpty })
    func aBareLFAnywhereInAHeadIsRejected(_ row: MessageCase) {
        let raw = row.raw
        guard let headEnd = Self.firstHeadEnd(raw) else {
            Issue.record("no head in \(row.name)")
            return
        }
        for i in 0..<headEnd where raw[i] == 0x0D && raw[i + 1] == 0x0A {
            var broken = row
            broken.raw.remove(at: i)
            broken.eof = true
            #expect(broken.run().error == .bareLF, "CRLF at \(i)")
        }
    }

    /// Index just past the first "\r\n\r\n" (the end of the first head).
    static func firstHeadEnd(_ raw: [UInt8]) -> Int? {
        guard raw.count >= 4 else { return nil }
        for i in 0...(raw.count - 4) where raw[i] == 0x0D && raw[i + 1] == 0x0A && raw[i + 2] == 0x0D && raw[i + 3] == 0x0A {
            return i + 4
        }
        return nil
    }

    /// Replacing the LF of any CRLF that ends a non-empty line of a valid request head by a
    /// visible byte leaves a bare CR inside a line, which is rejected as `bareCR`.
    @Test(arguments: RequestCases.all.filter { $0.error == nil && !$0.messages.isEmpty })
    func aBareCRInsideARequestHeadIsRejected(_ row: MessageCase) {
        let raw = row.raw
        guard let headEnd = Self.firstHeadEnd(raw) else {
            Issue.record("no head in \(row.name)")
            return
        }
        for i in 1..<(headEnd - 2) where raw[i] == 0x0D && raw[i + 1] == 0x0A && raw[i - 1] != 0x0A {
            var broken = row
            broken.raw[i + 1] = 0x58 // "X"
            broken.eof = true
            #expect(broken.run().error == .bareCR, "CR at \(i)")
        }
    }
}
