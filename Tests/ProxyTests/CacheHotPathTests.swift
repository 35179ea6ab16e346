import SafeParse
import Testing
@testable import Proxy

// Helpers of the cache-hit path that replace slower general code: each must give the same
// answer as what it replaces.

/// The digits the hit path writes for Age and Content-Length.
@Suite struct CacheDecimalTests {
    @Test(arguments: [0, 7, 10, 99, 100, 1_024, 1_048_576, 2_147_483_648, Int.max])
    func digitsMatchTheStandardLibrary(value: Int) {
        var bytes: [UInt8] = Array("x".utf8)
        CacheBytes.appendDecimal(value, to: &bytes)
        #expect(bytes == Array("x\(value)".utf8))
    }

    @Test func aNegativeValueIsZero() {
        var bytes: [UInt8] = []
        CacheBytes.appendDecimal(-5, to: &bytes)
        #expect(bytes == [0x30])
    }
}

/// `HeaderFields.hasName` agrees with `HeadView` (which the cache's readers use when a field
/// is present), whatever the case of the names.
@Suite struct HeaderPresenceTests {
    typealias F = CachePolicyFixtures

    @Test(arguments: [
        [String](), ["Accept: */*"], ["cache-control: no-cache"], ["CACHE-CONTROL: max-age=0"],
        ["Pragma: no-cache"], ["If-None-Match: \"a\""], ["iF-mOdIfIeD-sInCe: x"], ["If: 1"], ["I: 1"],
        ["Cache-Controls: x"], ["X-If-None-Match: y", "Cache: z"],
    ])
    func presenceMatchesTheView(fields: [String]) throws {
        let head = try F.request(["GET http://h.test/ HTTP/1.1", "Host: h.test"] + fields)
        let view = HeadView(head)
        for name in ["cache-control", "pragma", "if-none-match", "host", "if"] {
            #expect(head.fields.hasName(Array(name.utf8)) == view.contains(name), "\(name) in \(fields)")
        }
        let startsWithIf = view.fields.indices.contains { CacheBytes.lowercased(view.name($0)).starts(with: Array("if-".utf8)) }
        #expect(head.fields.hasName(startingWith: Array("if-".utf8)) == startsWithIf, "\(fields)")
    }
}
