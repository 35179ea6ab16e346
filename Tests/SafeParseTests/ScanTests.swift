import Testing
@testable import SafeParse

/// The word-at-a-time scans in `_UnsafeScan.swift` against byte-by-byte definitions: every
/// byte value at every position of short and long inputs, sub-ranges that start and end
/// inside words, and random inputs.
@Suite struct ScanTests {
    static func referenceInvalidFieldValueByte(_ bytes: [UInt8], _ range: Range<Int>) -> Int? {
        range.first { !ByteClass.isFieldValueByte(bytes[$0]) }
    }

    static func referenceTokenEnd(_ bytes: [UInt8], _ range: Range<Int>) -> Int {
        range.first { !ByteClass.isToken(bytes[$0]) } ?? range.upperBound
    }

    func check(_ bytes: [UInt8], _ range: Range<Int>) {
        let span = bytes.span
        #expect(Scan.firstInvalidFieldValueByte(in: span, range) == Self.referenceInvalidFieldValueByte(bytes, range),
                "field value scan of \(bytes) in \(range)")
        #expect(Scan.tokenEnd(in: span, range) == Self.referenceTokenEnd(bytes, range), "token scan of \(bytes) in \(range)")
    }

    @Test func everyByteAtEveryPosition() {
        for length in [1, 7, 8, 9, 16, 23] {
            for position in 0..<length {
                for v in 0..<256 {
                    // Backgrounds valid for both scans (letters) and for the value scan only (SP, obs-text).
                    for background: UInt8 in [0x61, 0x20, 0x80] {
                        var bytes = [UInt8](repeating: background, count: length)
                        bytes[position] = UInt8(v)
                        check(bytes, 0..<length)
                    }
                }
            }
        }
    }

    @Test func subRangesAndHorizontalTabs() {
        let line = Array("Content-Type:\ttext/html;\tcharset=utf-8 \t \r\nX_Y!#$%&'*+.^`|~:1\r\n".utf8)
        for lower in 0..<line.count {
            for upper in lower...line.count { check(line, lower..<upper) }
        }
    }

    @Test func randomInputs() {
        // xorshift64, seeded: failures reproduce.
        var state: UInt64 = 0x5CA9_D00D_F00D_5CA9
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        for _ in 0..<20_000 {
            let length = Int(next() % 40)
            // Mostly valid bytes, so that scans run long before they stop.
            let bytes = (0..<length).map { _ -> UInt8 in
                let r = next()
                return r % 8 == 0 ? UInt8(truncatingIfNeeded: r >> 8) : UInt8(0x41 + (r >> 8) % 26)
            }
            let lower = length == 0 ? 0 : Int(next() % UInt64(length + 1))
            check(bytes, lower..<length)
        }
    }
}
