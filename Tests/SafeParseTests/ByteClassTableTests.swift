import Testing
@testable import SafeParse

@Suite struct ByteClassTableTests {
    @Test func theLiteralClassTableAgreesWithThePredicatesForEveryByte() {
        #expect(ByteClass.table.count == 256)
        for v in 0..<256 {
            let b = UInt8(v)
            #expect((ByteClass.table[v] & ByteClass.tokenBit != 0) == ByteClass.isToken(b), "byte \(v) token bit")
            #expect((ByteClass.table[v] & ByteClass.unreservedBit != 0) == ByteClass.isUnreserved(b), "byte \(v) unreserved bit")
        }
    }
}
