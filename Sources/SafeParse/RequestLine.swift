/// Grammar of the request line (RFC 9112 §3): `method SP request-target SP HTTP-version`.
/// Exactly one SP between parts; nothing lenient, because a server and a proxy that split a
/// request line differently can be made to disagree on what was asked.
struct RequestLine {
    var method: Method
    var methodRange: Range<Int>
    var target: RequestTarget
    var targetRange: Range<Int>
    var version: HTTPVersion

    /// Parses `bytes[line]` (no CRLF).
    static func parse(_ bytes: Span<UInt8>, _ line: Range<Int>) throws(ParseError) -> RequestLine {
        var i = line.lowerBound
        let end = line.upperBound
        // method = token (RFC 9110 §9.1)
        i = Scan.tokenEnd(in: bytes, i..<end)
        let methodRange = line.lowerBound..<i
        guard !methodRange.isEmpty, i < end, bytes[i] == ByteClass.sp else {
            if i < end && bytes[i] == ByteClass.cr { throw .bareCR }
            throw .invalidMethod
        }
        i += 1
        // request-target: visible ASCII only, no whitespace (RFC 9112 §3.2)
        let targetStart = i
        i = Scan.firstNonVisibleByte(in: bytes, targetStart..<end) ?? end
        if i < end && bytes[i] != ByteClass.sp { throw bytes[i] == ByteClass.cr ? .bareCR : .invalidRequestTarget }
        let targetRange = targetStart..<i
        guard !targetRange.isEmpty, i < end else { throw .invalidRequestLine } // "GET  /", HTTP/0.9 "GET /"
        i += 1
        guard end - i == 8 else {
            for j in i..<end where bytes[j] == ByteClass.cr { throw .bareCR }
            throw end - i > 8 ? .invalidRequestLine : .invalidVersion
        }
        let version = try HTTPVersion.parse(bytes, at: i)
        let method = Method.recognise(bytes, methodRange)
        let target = try classifyTarget(bytes, targetRange, method: method)
        return RequestLine(method: method, methodRange: methodRange, target: target,
                           targetRange: targetRange, version: version)
    }

    /// Picks the request-target form and checks it matches the method (RFC 9112 §3.2).
    static func classifyTarget(_ bytes: Span<UInt8>, _ range: Range<Int>, method: Method) throws(ParseError) -> RequestTarget {
        let first = bytes[range.lowerBound]
        if method == .connect {
            // §3.2.3: CONNECT takes authority-form only, and the port is mandatory.
            guard first != ByteClass.slash, !(range.count == 1 && first == 0x2A) else { throw .targetFormMismatch }
            return .authority(try Authority.parse(bytes, range, requirePort: true))
        }
        if first == ByteClass.slash {
            // §3.2.1 origin-form = absolute-path [ "?" query ]; a fragment is never sent.
            if Scan.firstIndex(of: 0x23, in: bytes, range) != nil { throw .invalidRequestTarget }
            return .origin(range)
        }
        if range.count == 1 && first == 0x2A {
            // §3.2.4: asterisk-form only for a server-wide OPTIONS.
            guard method == .options else { throw .targetFormMismatch }
            return .asterisk
        }
        // §3.2.2 absolute-form
        return .absolute(try AbsoluteURI.parse(bytes, range))
    }
}
