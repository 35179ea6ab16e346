// llhttp as shipped in SwiftNIO 2.101.3 (target CNIOLLHTTP, symbols prefixed `c_nio_llhttp_`),
// driven directly through its C API: no channel pipeline, no NIO types. The callbacks do the
// minimum a consumer must (count heads, fields, body bytes, messages), so this measures the
// parser itself.
//
// Differences in what the two parsers do (see docs/BENCHMARKS.md): llhttp is a callback
// tokenizer that copies nothing and keeps no head, so its consumer must buffer field names
// and values itself when they straddle reads; SafeParse copies each head into owned storage,
// indexes its fields, validates the target, Host and framing fields and returns a
// ready-to-use head.
public import CNIOLLHTTP

/// One llhttp parser with its settings: the state of one connection.
public final class LLHTTPParser {
    public enum Kind: Sendable { case request, response }

    let kind: Kind
    let parser: UnsafeMutablePointer<llhttp_t>
    let settings: UnsafeMutablePointer<llhttp_settings_t>
    let tallyStorage: UnsafeMutablePointer<Tally>

    public init(_ kind: Kind) {
        self.kind = kind
        parser = .allocate(capacity: 1)
        settings = .allocate(capacity: 1)
        tallyStorage = .allocate(capacity: 1)
        tallyStorage.initialize(to: Tally())
        settings.initialize(to: llhttp_settings_t())
        c_nio_llhttp_settings_init(settings)
        settings.pointee.on_header_field = { parser, _, _ in
            LLHTTPParser.tally(parser).pointee.fields &+= 1
            return 0
        }
        settings.pointee.on_header_value = { _, _, _ in 0 }
        settings.pointee.on_headers_complete = { parser in
            LLHTTPParser.tally(parser).pointee.heads &+= 1
            return 0
        }
        settings.pointee.on_body = { parser, _, length in
            LLHTTPParser.tally(parser).pointee.bodyBytes &+= length
            return 0
        }
        settings.pointee.on_message_complete = { parser in
            LLHTTPParser.tally(parser).pointee.messages &+= 1
            // As NIO's HTTPDecoder does (workaround for nodejs/llhttp#202).
            parser?.pointee.content_length = 0
            return 0
        }
        parser.initialize(to: llhttp_t())
        reset()
    }

    deinit {
        parser.deallocate()
        settings.deallocate()
        tallyStorage.deinitialize(count: 1)
        tallyStorage.deallocate()
    }

    @inline(__always)
    static func tally(_ parser: UnsafeMutablePointer<llhttp_t>?) -> UnsafeMutablePointer<Tally> {
        parser.unsafelyUnwrapped.pointee.data.unsafelyUnwrapped.assumingMemoryBound(to: Tally.self)
    }

    /// A new connection: the parser state is reinitialised in place (no allocation).
    public func reset() {
        c_nio_llhttp_init(parser, kind == .request ? HTTP_REQUEST : HTTP_RESPONSE, settings)
        parser.pointee.data = UnsafeMutableRawPointer(tallyStorage)
    }

    public var tally: Tally {
        get { tallyStorage.pointee }
        set { tallyStorage.pointee = newValue }
    }

    /// Parses one read. Returns llhttp's errno (`HPE_OK` on success).
    @inline(__always)
    public func execute(_ bytes: UnsafeRawBufferPointer) -> llhttp_errno_t {
        c_nio_llhttp_execute(parser, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
    }

    /// Parses each message of `batch` as one read; stops at the first error.
    @inline(never)
    public func parse(_ batch: [[UInt8]]) -> llhttp_errno_t {
        for message in batch {
            let rc = message.withUnsafeBytes { execute($0) }
            if rc != HPE_OK { return rc }
        }
        return HPE_OK
    }

    /// The error name and reason, for failures.
    public func describe(_ rc: llhttp_errno_t) -> String {
        let name = String(cString: c_nio_llhttp_errno_name(rc))
        let reason = c_nio_llhttp_get_error_reason(parser).map { String(cString: $0) } ?? ""
        return "\(name): \(reason)"
    }
}
