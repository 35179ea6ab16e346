/// What the framing-relevant fields of a head say: Host, Content-Length, Transfer-Encoding.
/// Gathered in one pass over the field lines; the request and response rules then decide
/// the framing (RFC 9112 §6.3) from this summary.
struct FramingFields {
    var hostCount = 0
    var hostIndex: Int?
    /// The agreed Content-Length, if any field carried one.
    var contentLength: UInt64?
    var hasTransferEncoding = false
    /// Transfer codings listed, over all Transfer-Encoding fields.
    var codingCount = 0
    var chunkedCount = 0
    var lastCodingIsChunked = false

    static func scan(_ fields: HeaderFields) throws(ParseError) -> FramingFields {
        var summary = FramingFields()
        let bytes = fields.bytes.span
        for i in 0..<fields.count {
            let name = fields.nameRange(at: i)
            switch name.count {
            case 4 where Scan.equalsLowercase(bytes, name, "host"):
                summary.hostCount += 1
                if summary.hostIndex == nil { summary.hostIndex = i }
            case 14 where Scan.equalsLowercase(bytes, name, "content-length"):
                try summary.addContentLength(bytes, fields.valueRange(at: i))
            case 17 where Scan.equalsLowercase(bytes, name, "transfer-encoding"):
                summary.hasTransferEncoding = true
                try summary.addTransferCodings(bytes, fields.valueRange(at: i))
            default:
                break
            }
        }
        return summary
    }

    /// RFC 9110 §8.6: Content-Length = 1*DIGIT. A list or repeated field is accepted only when
    /// every member is the same valid number (RFC 9112 §6.3 item 5); anything else is rejected.
    mutating func addContentLength(_ bytes: Span<UInt8>, _ value: Range<Int>) throws(ParseError) {
        var i = value.lowerBound
        repeat {
            var elementEnd = i
            while elementEnd < value.upperBound && bytes[elementEnd] != ByteClass.comma { elementEnd += 1 }
            var a = i, b = elementEnd
            while a < b && ByteClass.isWhitespace(bytes[a]) { a += 1 }
            while b > a && ByteClass.isWhitespace(bytes[b - 1]) { b -= 1 }
            switch ASCII.parseDecimal(bytes, a..<b) {
            case .invalid: throw .invalidContentLength      // signed, empty, non-digit
            case .overflow: throw .contentLengthOverflow     // more than 2^64-1
            case .value(let n):
                if let previous = contentLength, previous != n { throw .conflictingContentLength }
                contentLength = n
            }
            i = elementEnd + 1
        } while i <= value.upperBound
    }

    /// RFC 9112 §6.1: Transfer-Encoding = #transfer-coding. Empty list members are skipped
    /// (RFC 9110 §5.6.1); a member must be a bare token: parameters are not accepted.
    mutating func addTransferCodings(_ bytes: Span<UInt8>, _ value: Range<Int>) throws(ParseError) {
        // The usual field, "chunked" alone: the same result as the list walk below, without it.
        if Scan.equalsLowercase(bytes, value, "chunked") {
            codingCount += 1
            chunkedCount += 1
            lastCodingIsChunked = true
            return
        }
        let codingsBefore = codingCount
        var i = value.lowerBound
        repeat {
            var elementEnd = i
            while elementEnd < value.upperBound && bytes[elementEnd] != ByteClass.comma { elementEnd += 1 }
            var a = i, b = elementEnd
            while a < b && ByteClass.isWhitespace(bytes[a]) { a += 1 }
            while b > a && ByteClass.isWhitespace(bytes[b - 1]) { b -= 1 }
            if a < b {
                for j in a..<b where !ByteClass.isToken(bytes[j]) { throw .invalidTransferEncoding }
                codingCount += 1
                lastCodingIsChunked = ASCII.equalsIgnoringCase(bytes, a..<b, "chunked")
                if lastCodingIsChunked { chunkedCount += 1 }
            }
            i = elementEnd + 1
        } while i <= value.upperBound
        if codingCount == codingsBefore { throw .invalidTransferEncoding } // this field listed no coding
    }

    /// Request framing, RFC 9112 §6.3 and §3.2.
    func requestFraming(version: HTTPVersion, limits: Limits) throws(ParseError) -> BodyFraming {
        // §3.2: exactly one Host in HTTP/1.1; never more than one.
        if hostCount > 1 { throw .multipleHost }
        if hostCount == 0 && version == .http11 { throw .missingHost }
        if hasTransferEncoding {
            // §6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
            if version == .http10 { throw .transferEncodingInHTTP10 }
            // §6.3 item 3: both present is a smuggling attempt; reject.
            if contentLength != nil { throw .transferEncodingWithContentLength }
            // §7.1: chunked must not be applied more than once.
            if chunkedCount > 1 { throw .chunkedAppliedTwice }
            // §6.3 item 4: a request whose final coding is not chunked cannot be delimited.
            if !lastCodingIsChunked { throw .transferEncodingNotChunked }
            // §6.1: a coding we do not implement (gzip, chunked) gets 501.
            if codingCount > 1 { throw .unsupportedTransferCoding }
            return .chunked
        }
        if let length = contentLength {
            if let max = limits.maxBodyBytes, length > max { throw .bodyTooLarge }
            return .contentLength(length)
        }
        return .none // §6.3 item 7: no body
    }

    /// Response framing, RFC 9112 §6.3 items 1-7.
    func responseFraming(version: HTTPVersion, status: Int, requestMethod: Method, limits: Limits) throws(ParseError) -> BodyFraming {
        // item 1: HEAD responses, 1xx, 204 and 304 never have a body.
        if requestMethod == .head || status < 200 || status == 204 || status == 304 { return .none }
        // item 2: a 2xx answer to CONNECT turns the connection into a tunnel.
        if requestMethod == .connect && status < 300 { return .tunnel }
        if hasTransferEncoding {
            if version == .http10 { throw .transferEncodingInHTTP10 }          // §6.1
            if contentLength != nil { throw .transferEncodingWithContentLength } // item 3
            if chunkedCount > 1 { throw .chunkedAppliedTwice }                   // §7.1
            return lastCodingIsChunked ? .chunked : .untilClose                  // item 4
        }
        if let length = contentLength {                                           // item 6
            if let max = limits.maxBodyBytes, length > max { throw .bodyTooLarge }
            return .contentLength(length)
        }
        return .untilClose                                                        // item 7
    }
}
