import Foundation

/// The bytes every test-origin body is made of (see Tests/Support/origin.py):
/// `body[i] = P[i % 65521]`, `P[j] = (7*j + j/251) & 0xFF`. 65521 is prime, so a body never
/// repeats in step with a buffer size and a dropped, doubled or reordered piece shows.
///
/// Checks compare one period at a time with memcmp, so a 64 MiB body is checked quickly even
/// in a debug or sanitized build; only a mismatching period is scanned byte by byte.
enum BodyPattern {
    static let period = 65521
    static let cycle: [UInt8] = (0..<period).map { UInt8(truncatingIfNeeded: 7 &* $0 &+ $0 / 251) }

    /// The first `count` bytes of a body.
    static func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            out.append(contentsOf: cycle.prefix(count - out.count))
        }
        return out
    }

    /// Where `data` (a body of length `expected`) first differs from the pattern; nil if equal.
    static func firstMismatch(_ data: [UInt8], expected: Int) -> String? {
        var offset = 0
        while offset < data.count {
            let end = min(offset + period, data.count)
            if let problem = check(data[offset..<end], at: offset) { return problem }
            offset = end
        }
        return data.count == expected ? nil : "length \(data.count), expected \(expected)"
    }

    /// The same check for a file, read a period at a time (large downloads).
    static func firstMismatch(file: URL, expected: Int) -> String? {
        var problem: String?
        var length = 0
        let readable = Files.forEachPiece(file.path, size: period) { piece, offset in
            length = offset + piece.count
            problem = check(piece, at: offset)
            return problem == nil
        }
        if !readable { return "cannot open \(file.path)" }
        if let problem { return problem }
        return length == expected ? nil : "length \(length), expected \(expected)"
    }

    /// `piece` must be the pattern from `offset`, a multiple of the period, for its length.
    private static func check(_ piece: ArraySlice<UInt8>, at offset: Int) -> String? {
        if Files.equal(piece, cycle[0..<piece.count]) { return nil }
        for (k, b) in piece.enumerated() where b != cycle[k] {
            return "byte \(offset + k) is \(b), expected \(cycle[k])"
        }
        return "piece at \(offset) differs"
    }
}
