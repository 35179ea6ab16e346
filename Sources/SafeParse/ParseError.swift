/// Why SafeParse rejected a message. Each case has a stable `code` (its raw value, for logs and
/// metrics), a fixed human `reason`, and the `status` a server should answer to a request that
/// fails this way. Errors never carry input bytes, so they are safe to log and to echo.
///
/// A proxy that gets one of these while parsing an *upstream response* answers 502 instead.
public enum ParseError: String, Error, Sendable, Hashable, CaseIterable {
    // Start line
    case invalidMethod = "invalid_method"
    case invalidRequestLine = "invalid_request_line"
    case invalidRequestTarget = "invalid_request_target"
    case requestLineTooLong = "request_line_too_long"
    case invalidVersion = "invalid_version"
    case unsupportedVersion = "unsupported_version"
    case targetFormMismatch = "target_form_mismatch"
    case userinfoInURI = "userinfo_in_uri"
    case invalidHost = "invalid_host"
    case invalidPort = "invalid_port"
    case invalidStatusLine = "invalid_status_line"
    case statusLineTooLong = "status_line_too_long"
    // Line structure
    case bareCR = "bare_cr"
    case bareLF = "bare_lf"
    // Field lines
    case invalidFieldName = "invalid_field_name"
    case whitespaceBeforeColon = "whitespace_before_colon"
    case obsoleteLineFolding = "obs_fold"
    case invalidFieldValue = "invalid_field_value"
    case fieldLineTooLong = "field_line_too_long"
    case tooManyFields = "too_many_fields"
    case headTooLarge = "head_too_large"
    case missingHost = "missing_host"
    case multipleHost = "multiple_host"
    // Framing
    case invalidContentLength = "invalid_content_length"
    case contentLengthOverflow = "content_length_overflow"
    case conflictingContentLength = "conflicting_content_length"
    case transferEncodingWithContentLength = "transfer_encoding_with_content_length"
    case transferEncodingNotChunked = "transfer_encoding_not_chunked"
    case invalidTransferEncoding = "invalid_transfer_encoding"
    case chunkedAppliedTwice = "chunked_applied_twice"
    case unsupportedTransferCoding = "unsupported_transfer_coding"
    case transferEncodingInHTTP10 = "transfer_encoding_in_http10"
    case bodyTooLarge = "body_too_large"
    // Chunked body
    case invalidChunkSize = "invalid_chunk_size"
    case chunkSizeOverflow = "chunk_size_overflow"
    case invalidChunkExtension = "invalid_chunk_extension"
    case chunkExtensionTooLong = "chunk_extension_too_long"
    case invalidChunkTerminator = "invalid_chunk_terminator"
    case trailerTooLarge = "trailer_too_large"
    case tooManyTrailerFields = "too_many_trailer_fields"
    case framingFieldInTrailer = "framing_field_in_trailer"
    // Small parsers
    case invalidConnectionOption = "invalid_connection_option"
    // Stream
    case truncatedMessage = "truncated_message"

    /// Stable machine-readable identifier (same as `rawValue`).
    public var code: String { rawValue }

    /// Fixed human-readable reason, suitable for an error page or a log line.
    public var reason: String {
        switch self {
        case .invalidMethod: "method is not a valid token"
        case .invalidRequestLine: "malformed request line"
        case .invalidRequestTarget: "malformed request-target"
        case .requestLineTooLong: "request line too long"
        case .invalidVersion: "malformed HTTP version"
        case .unsupportedVersion: "HTTP version not supported"
        case .targetFormMismatch: "request-target form not allowed for this method"
        case .userinfoInURI: "userinfo in URI is not allowed"
        case .invalidHost: "invalid host"
        case .invalidPort: "invalid port"
        case .invalidStatusLine: "malformed status line"
        case .statusLineTooLong: "status line too long"
        case .bareCR: "bare CR"
        case .bareLF: "bare LF without CR"
        case .invalidFieldName: "invalid header field name"
        case .whitespaceBeforeColon: "whitespace between field name and colon"
        case .obsoleteLineFolding: "obsolete line folding"
        case .invalidFieldValue: "invalid character in header field value"
        case .fieldLineTooLong: "header field line too long"
        case .tooManyFields: "too many header fields"
        case .headTooLarge: "message head too large"
        case .missingHost: "missing Host header"
        case .multipleHost: "more than one Host header"
        case .invalidContentLength: "invalid Content-Length"
        case .contentLengthOverflow: "Content-Length overflows"
        case .conflictingContentLength: "conflicting Content-Length values"
        case .transferEncodingWithContentLength: "both Transfer-Encoding and Content-Length"
        case .transferEncodingNotChunked: "final transfer coding is not chunked"
        case .invalidTransferEncoding: "malformed Transfer-Encoding"
        case .chunkedAppliedTwice: "chunked applied more than once"
        case .unsupportedTransferCoding: "transfer coding not implemented"
        case .transferEncodingInHTTP10: "Transfer-Encoding in an HTTP/1.0 message"
        case .bodyTooLarge: "body too large"
        case .invalidChunkSize: "invalid chunk size"
        case .chunkSizeOverflow: "chunk size overflows"
        case .invalidChunkExtension: "invalid chunk extension"
        case .chunkExtensionTooLong: "chunk extension too long"
        case .invalidChunkTerminator: "chunk data not followed by CRLF"
        case .trailerTooLarge: "trailer section too large"
        case .tooManyTrailerFields: "too many trailer fields"
        case .framingFieldInTrailer: "Content-Length or Transfer-Encoding in trailers"
        case .invalidConnectionOption: "invalid Connection option"
        case .truncatedMessage: "message truncated"
        }
    }

    /// The status a server answers to a request rejected for this reason.
    public var status: Int {
        switch self {
        case .requestLineTooLong: 414
        case .fieldLineTooLong, .tooManyFields, .headTooLarge, .trailerTooLarge, .tooManyTrailerFields: 431
        case .bodyTooLarge: 413
        case .unsupportedVersion: 505
        case .unsupportedTransferCoding: 501
        case .invalidStatusLine, .statusLineTooLong: 502
        default: 400
        }
    }
}
