@testable import FuzzTargets
import SafeParse
import Testing

/// The reference models of the small-parsers target and the framing comparison of the
/// differential targets: each must see what it claims to, and each check must be able to fail.
@Suite struct SmallParsersAndDifferentialTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("The Cache-Control reference reads directives, arguments and malformed members")
    func cacheControlReference() {
        let cc = ListFieldReference.cacheControl([Self.bytes("Max-Age=60, no-store, private=\"a, b\", max-age=1"),
                                                   Self.bytes("s-maxage=99999999999, x=\"open, max-stale")])
        #expect(cc.maxAge == 60 && cc.noStore && cc.isPrivate && cc.sMaxAge == CacheControl.maxDeltaSeconds)
        #expect(cc.maxStale == nil && cc.invalidMembers == 1)
        #expect(ListFieldReference.members(Self.bytes(" a , \"b,\\\"c\" ,, d")) == [Self.bytes("a"), Self.bytes("\"b,\\\"c\""), Self.bytes("d")])
    }

    @Test("The Connection reference lower-cases options, keeps them once and rejects non-tokens")
    func connectionReference() throws {
        let options = try #require(ListFieldReference.connectionOptions([Self.bytes("Keep-Alive, X-A, x-a, Upgrade")]))
        #expect(options.keepAlive && options.upgrade && !options.close && options.nominatedFields == ["x-a", "upgrade"])
        #expect(ListFieldReference.connectionOptions([Self.bytes("a b")]) == nil)
    }

    @Test("The small-parsers target passes real values and runs the parsed checks on them")
    func smallParsersTarget() throws {
        for value in ["public, max-age=31536000, immutable", "keep-alive, X-Custom", "no-cache", "a=\"\\", ""] {
            #expect(SmallParsersTarget.check([17] + Self.bytes(value)) == nil, "\(value)")
        }
        #expect(try SmallParsersTarget.checkParsed(Self.bytes("max-age=5"), layout: [Self.bytes("max-age=5")]) == Self.bytes("max-age=5"))
        #expect(try SmallParsersTarget.checkParsed(Self.bytes("a\r\nb"), layout: [Self.bytes("a\r\nb")]) == nil)
        #expect(SmallParsersTarget.serialize(ListFieldReference.cacheControl([Self.bytes("no-store, max-age=7")])) == "max-age=7, no-store")
    }

    @Test("SafeParse's framing summary finds each message's end in a pipelined stream")
    func safeParseSummary() throws {
        let text = "GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
        let input = try #require(DifferentialCase([0x00, 0x45] + Self.bytes(text), responses: false))
        #expect(input.safeParse.messages.map(\.end) == [27, text.utf8.count])
        #expect(input.safeParse.messages.map(\.fieldCount) == [1, 2] && input.safeParse.messages[1].bodyBytes == 3)
        #expect(input.safeParse.rejection == nil && !input.safeParse.stopped)
    }

    @Test("A framing disagreement on a head with a known llhttp deviation is counted, not a crash")
    func knownDeviation() throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n\r\n1\r\na\r\n0\r\n\r\n"
        let input = try #require(DifferentialCase([0x00, 0x00] + Self.bytes(text), responses: true))
        #expect(input.safeParse.messages.first?.deviation == .emptyTransferCodingMember)
        var llhttp = FramingSummary()
        llhttp.messages = [FramingSummary.Message(fieldCount: 1, status: 200)]
        llhttp.messages[0].bodyBytes = 15
        #expect(FramingComparison.compare(safeParse: input.safeParse, llhttp: llhttp) == .known(.emptyTransferCodingMember))
        var plain = input.safeParse
        plain.messages[0].deviation = nil
        #expect(FramingComparison.compare(safeParse: plain, llhttp: llhttp) == .disagree("message 0 complete for SafeParse at \(text.utf8.count), not for llhttp"))
    }

    @Test("chunked followed by HTAB is a known llhttp deviation (it skips only SP there); chunked followed by SP is none")
    func tabAfterChunked() throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\t\r\n\r\n1\r\na\r\n0\r\n\r\n"
        let input = try #require(DifferentialCase([0x00, 0x00] + Self.bytes(text), responses: true))
        #expect(input.safeParse.messages.first?.end == text.utf8.count, "OWS: chunked")
        #expect(input.safeParse.messages.first?.deviation == .tabAfterChunked)
        var llhttp = FramingSummary()
        llhttp.messages = [FramingSummary.Message(fieldCount: 1, status: 200)]
        #expect(FramingComparison.compare(safeParse: input.safeParse, llhttp: llhttp) == .known(.tabAfterChunked))
        for plain in ["chunked ", "chunked", "gzip, \tchunked", "\tchunked", "chunkedx\t"] {
            let other = try #require(DifferentialCase([0x00, 0x00] + Self.bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: \(plain)\r\n\r\n0\r\n\r\n"), responses: true))
            #expect(other.safeParse.messages.first?.deviation == nil, "\(plain)")
        }
    }

    @Test("Framing comparison: agreement, one-sided rejection, disagreement")
    func comparison() {
        var a = FramingSummary()
        var message = FramingSummary.Message(fieldCount: 2, status: 200)
        message.bodyBytes = 5
        message.end = 40
        a.messages = [message]
        var b = a
        #expect(FramingComparison.compare(safeParse: a, llhttp: b) == .agree)
        b.messages[0].end = 41
        #expect(FramingComparison.compare(safeParse: a, llhttp: b) == .disagree("message 0: SafeParse \(a.messages[0]) vs llhttp \(b.messages[0])"))
        b = a
        b.messages[0].end = nil
        b.rejection = "HPE_INVALID_CHUNK_SIZE"
        #expect(FramingComparison.compare(safeParse: a, llhttp: b) == .oneSided(side: "llhttp", reason: "HPE_INVALID_CHUNK_SIZE"))
        b.rejection = nil
        #expect(FramingComparison.compare(safeParse: a, llhttp: b) == .disagree("message 0 complete for SafeParse at 40, not for llhttp"))
        b = a
        b.messages.append(message)
        #expect(FramingComparison.compare(safeParse: a, llhttp: b) == .disagree("SafeParse found 1 messages, llhttp 2"))
        a.rejection = "bare_lf"
        #expect(FramingComparison.compare(safeParse: a, llhttp: b) == .oneSided(side: "safeparse", reason: "bare_lf"))
    }
}
