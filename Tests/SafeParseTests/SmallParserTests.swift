import Testing
import SafeParse

/// Header fields of a parsed response carrying `lines`.
private func fields(_ lines: String...) -> HeaderFields {
    var parser = ResponseParser()
    let text = "HTTP/1.1 204 No Content\r\n" + lines.map { $0 + "\r\n" }.joined() + "\r\n"
    let bytes = Array(text.utf8)
    let step = Result { () throws(ParseError) -> ParseStep in try parser.parse(bytes.span) }
    precondition((try? step.get())?.event == .headComplete, "test head did not parse")
    return parser.head.fields
}

@Suite struct ConnectionOptionsTests {
    @Test func closeAndKeepAliveAreRecognisedInAnyCase() throws {
        let o = try ConnectionOptions.parse(fields("Connection: Keep-Alive, CLOSE"))
        #expect(o.close && o.keepAlive && !o.upgrade)
        #expect(o.nominatedFields.isEmpty)
    }

    @Test func otherOptionsNameHopByHopFieldsAcrossSeveralLines() throws {
        let f = fields("Connection: X-Secret ,, upgrade", "Connection: x-other", "X-Secret: 1", "X-Kept: 2", "X-OTHER: 3")
        let o = try ConnectionOptions.parse(f)
        #expect(o.upgrade)
        #expect(o.nominatedFields == ["x-secret", "upgrade", "x-other"])
        let dropped = (0..<f.count).filter { o.nominates(f, at: $0) }.map { String(decoding: f.name(at: $0), as: UTF8.self) }
        #expect(dropped == ["X-Secret", "X-OTHER"])
    }

    @Test func nonTokenOptionIsRejected() {
        #expect(throws: ParseError.invalidConnectionOption) { try ConnectionOptions.parse(fields("Connection: close x")) }
        #expect(throws: ParseError.invalidConnectionOption) { try ConnectionOptions.parse(fields("Connection: \"close\"")) }
    }

    @Test(arguments: [
        ("", HTTPVersion.http11, true), ("close", .http11, false), ("", .http10, false),
        ("keep-alive", .http10, true), ("keep-alive, close", .http10, false),
    ])
    func persistenceFollowsVersionAndOptions(value: String, version: HTTPVersion, persistent: Bool) throws {
        let o = try ConnectionOptions.parse(value.isEmpty ? fields() : fields("Connection: " + value))
        #expect(o.isPersistent(version: version) == persistent)
    }

    @Test func proxyConnectionCanBeParsedByName() throws {
        let o = try ConnectionOptions.parse(fields("Proxy-Connection: keep-alive"), fieldName: "proxy-connection")
        #expect(o.keepAlive)
    }
}

@Suite struct CacheControlTests {
    @Test func responseDirectivesAreParsed() {
        let cc = CacheControl.parse(fields("Cache-Control: public, max-age=60, s-maxage=\"120\"",
                                           "cache-control: must-revalidate, proxy-revalidate, immutable"))
        #expect(cc.isPublic && cc.mustRevalidate && cc.proxyRevalidate && cc.immutable)
        #expect(cc.maxAge == 60 && cc.sMaxAge == 120)
        #expect(!cc.noStore && !cc.noCache && !cc.isPrivate)
        #expect(cc.invalidMembers == 0)
    }

    @Test func requestDirectivesAreParsed() {
        let cc = CacheControl.parse(fields("Cache-Control: max-stale, min-fresh=5, only-if-cached, no-cache, no-store, no-transform"))
        #expect(cc.maxStale == CacheControl.maxDeltaSeconds)
        #expect(cc.minFresh == 5)
        #expect(cc.onlyIfCached && cc.noCache && cc.noStore && cc.noTransform)
        #expect(CacheControl.parse(fields("Cache-Control: max-stale=30")).maxStale == 30)
    }

    @Test func qualifiedPrivateAndNoCacheCountAsUnqualified() {
        let cc = CacheControl.parse(fields("Cache-Control: private=\"Set-Cookie, X-A\", no-cache=\"X-B\""))
        #expect(cc.isPrivate && cc.noCache)
        #expect(cc.invalidMembers == 0)
    }

    @Test func firstOccurrenceWinsAndInvalidArgumentsMeanStale() {
        #expect(CacheControl.parse(fields("Cache-Control: max-age=10, max-age=99")).maxAge == 10)
        #expect(CacheControl.parse(fields("Cache-Control: max-age=abc")).maxAge == 0)
        #expect(CacheControl.parse(fields("Cache-Control: max-age=-1")).maxAge == 0)
        #expect(CacheControl.parse(fields("Cache-Control: max-age")).maxAge == 0)
    }

    @Test func hugeDeltaSecondsSaturateAtTwoToThe31() {
        #expect(CacheControl.parse(fields("Cache-Control: max-age=99999999999999999999999")).maxAge == 1 << 31)
        #expect(CacheControl.parse(fields("Cache-Control: s-maxage=2147483649")).sMaxAge == 1 << 31)
        #expect(CacheControl.parse(fields("Cache-Control: max-age=2147483647")).maxAge == 2_147_483_647)
    }

    @Test func malformedMembersAreSkippedAndCounted() {
        let cc = CacheControl.parse(fields("Cache-Control: max-age=5 x, =3, no-store, a=\"unterminated, public"))
        #expect(cc.noStore)
        #expect(cc.maxAge == nil)
        #expect(cc.invalidMembers == 3)
        #expect(!cc.isPublic) // swallowed by the unterminated quoted-string
    }

    @Test func unknownDirectivesAreIgnored() {
        let cc = CacheControl.parse(fields("Cache-Control: community=\"UCI\", max-age=3"))
        #expect(cc.maxAge == 3 && cc.invalidMembers == 0)
    }

    @Test func staleExtensionsOfRFC5861() {
        let cc = CacheControl.parse(fields("Cache-Control: max-age=1, stale-while-revalidate=30, stale-if-error=600"))
        #expect(cc.staleWhileRevalidate == 30 && cc.staleIfError == 600)
    }

    @Test func pragmaNoCacheIsFound() {
        #expect(CacheControl.pragmaNoCache(fields("Pragma: x, No-Cache")))
        #expect(!CacheControl.pragmaNoCache(fields("Pragma: x-no-cache")))
        #expect(!CacheControl.pragmaNoCache(fields("Cache-Control: no-cache")))
    }
}

@Suite struct URIParserTests {
    private func parseURI(_ text: String) throws(ParseError) -> (AbsoluteURI, [UInt8]) {
        let bytes = Array(text.utf8)
        return (try AbsoluteURI.parse(bytes.span, 0..<bytes.count), bytes)
    }

    @Test(arguments: [
        ("http://Example.COM/a?b=1", "http://example.com/a?b=1"),
        ("HTTP://example.com:80", "http://example.com/"),
        ("http://example.com:8080/", "http://example.com:8080/"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("https://example.com:80/x", "https://example.com:80/x"),
        ("http://[::1]:80/", "http://[::1]/"),
        ("http://[2001:DB8::1]:8080/p", "http://[2001:db8::1]:8080/p"),
        ("http://example.com:/p", "http://example.com/p"),
        ("http://example.com?q", "http://example.com/?q"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/"),
    ])
    func absoluteURIsNormalize(input: String, normalized: String) throws {
        let (uri, bytes) = try parseURI(input)
        #expect(uri.normalized(in: bytes.span) == normalized)
    }

    @Test(arguments: [
        ("http://user@example.com/", ParseError.userinfoInURI),
        ("http://u:p@example.com/", .userinfoInURI),
        ("http:///path", .invalidHost),
        ("http://exa mple.com/", .invalidHost),
        ("http://exa%41mple.com/", .invalidHost),
        ("http://example.com:0/", .invalidPort),
        ("http://example.com:65536/", .invalidPort),
        ("http://example.com:8a/", .invalidPort),
        ("http://[::1/", .invalidHost),
        ("http://[1:2:3:4:5:6:7:8:9]/", .invalidHost),
        ("http://[fe80::1%25eth0]/", .invalidHost),
        ("http://[v1.x]/", .invalidHost),
        ("http:example.com", .invalidRequestTarget),
        ("1http://example.com/", .invalidRequestTarget),
        ("http://example.com/#frag", .invalidRequestTarget),
    ])
    func malformedURIsAreRejected(input: String, error: ParseError) {
        #expect(throws: error) { try parseURI(input) }
    }

    @Test func authorityFormRequiresAPort() {
        let bytes = Array("example.com".utf8)
        #expect(throws: ParseError.invalidPort) { try Authority.parse(bytes.span, 0..<bytes.count, requirePort: true) }
        let withPort = Array("Example.com:443".utf8)
        let a = try? Authority.parse(withPort.span, 0..<withPort.count, requirePort: true)
        #expect(a?.port == 443)
        #expect(a?.normalized(in: withPort.span, defaultPort: nil) == "example.com:443")
        #expect(a?.normalizedHost(in: withPort.span) == "example.com")
    }

    @Test(arguments: ["::", "::1", "1::", "1:2:3:4:5:6:7:8", "1::8", "::ffff:192.0.2.1", "1:2:3:4:5:6:1.2.3.4"])
    func validIPv6LiteralsAreAccepted(address: String) throws {
        let bytes = Array("[\(address)]:1".utf8)
        let a = try Authority.parse(bytes.span, 0..<bytes.count)
        #expect(a.isIPv6Literal)
        #expect(a.host.count == address.utf8.count)
    }

    @Test(arguments: [":", ":1", "1:", "1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7", "::1.2.3", "::256.1.1.1", "::01.1.1.1", "g::"])
    func invalidIPv6LiteralsAreRejected(address: String) {
        let bytes = Array("[\(address)]".utf8)
        #expect(throws: ParseError.invalidHost) { try Authority.parse(bytes.span, 0..<bytes.count) }
    }
}
