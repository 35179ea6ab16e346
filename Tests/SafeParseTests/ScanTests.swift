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
        var rng = SplitMix(seed: 0x5CA9)
        for _ in 0..<20_000 {
            let length = Int(rng.next() % 40)
            // Mostly valid bytes, so that scans run long before they stop.
            let bytes = (0..<length).map { _ -> UInt8 in
                let r = rng.next()
                return r % 8 == 0 ? UInt8(truncatingIfNeeded: r >> 8) : UInt8(0x41 + (r >> 8) % 26)
            }
            let lower = length == 0 ? 0 : Int(rng.next() % UInt64(length + 1))
            check(bytes, lower..<length)
        }
    }
}

/// A small deterministic generator (SplitMix64) for reproducible random inputs.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
