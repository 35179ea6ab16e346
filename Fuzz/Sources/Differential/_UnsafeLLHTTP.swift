// llhttp as shipped in SwiftNIO (target CNIOLLHTTP of swift-nio, symbols prefixed `c_nio_llhttp_`),
// driven through its C API the way NIO's HTTPDecoder drives it: strict (no lenient flag), the
// message's content_length reset after each message (NIO's workaround for nodejs/llhttp#202),
// and, as NIO does, no body for a response answering HEAD or with a 1xx (but 101), 204 or 304
// status (on_headers_complete returns 1): llhttp alone reads a body framed by Content-Length or
// chunked on a 1xx other than 100-103 (nodejs/http-parser#251). Where this driver departs from
// NIO: a 2xx answering CONNECT is an upgrade (returns 2: llhttp stops, as SafeParse's tunnel
// does), and any other answer to CONNECT keeps its body (RFC 9112 §6.3; NIO skips it).
//
// Message boundaries: on_message_complete returns HPE_PAUSED, so llhttp_execute stops right
// after the message; llhttp_get_error_pos is then the offset of its end. Parsing resumes there.
import CNIOLLHTTP
import FuzzTargets
import SafeParse

/// What the callbacks record, reached through `llhttp_t.data`.
struct LLHTTPRecord {
    var summary = FramingSummary()
    var fields = 0
    var trailers = 0
    var inHead = true
    var isResponse = false
    var method = Method.get
    /// Set by on_message_complete; the driver turns it into the message's end offset.
    var completed = false
}

/// Summarizes a byte stream with llhttp, in the same reads SafeParse was given.
enum LLHTTPFraming {
    static func summarize(_ input: DifferentialCase, responses: Bool) -> FramingSummary {
        let parser = UnsafeMutablePointer<llhttp_t>.allocate(capacity: 1)
        let settings = UnsafeMutablePointer<llhttp_settings_t>.allocate(capacity: 1)
        let record = UnsafeMutablePointer<LLHTTPRecord>.allocate(capacity: 1)
        defer {
            unsafe parser.deallocate()
            unsafe settings.deallocate()
            unsafe record.deinitialize(count: 1)
            unsafe record.deallocate()
        }
        unsafe record.initialize(to: LLHTTPRecord(isResponse: responses, method: input.requestMethod))
        unsafe settings.initialize(to: llhttp_settings_t())
        unsafe c_nio_llhttp_settings_init(settings)
        unsafe install(settings)
        unsafe parser.initialize(to: llhttp_t())
        unsafe c_nio_llhttp_init(parser, responses ? HTTP_RESPONSE : HTTP_REQUEST, settings)
        unsafe parser.pointee.data = UnsafeMutableRawPointer(record)

        var streamOffset = 0
        for piece in input.pieces {
            let chunk = Array(input.payload[piece])
            let status = unsafe chunk.withUnsafeBufferPointer { buffer in
                unsafe execute(parser, record, buffer, streamOffset: streamOffset)
            }
            if !status { return unsafe record.pointee.summary }
            streamOffset += chunk.count
        }
        if input.callsFinish {
            let rc = unsafe c_nio_llhttp_finish(parser)
            if unsafe record.pointee.completed {
                unsafe record.pointee.completed = false
                unsafe markEnd(record, at: input.payload.count)
            } else if rc != HPE_OK {
                unsafe record.pointee.summary.rejection = unsafe String(cString: c_nio_llhttp_errno_name(rc))
            }
        }
        return unsafe record.pointee.summary
    }

    /// Parses one read; false once llhttp rejected the stream or stopped at an upgrade.
    private static func execute(_ parser: UnsafeMutablePointer<llhttp_t>, _ record: UnsafeMutablePointer<LLHTTPRecord>,
                                _ buffer: UnsafeBufferPointer<UInt8>, streamOffset: Int) -> Bool {
        var offset = 0
        while true {
            let start = unsafe buffer.baseAddress.map { unsafe UnsafeRawPointer($0 + offset).assumingMemoryBound(to: CChar.self) }
            let rc = unsafe c_nio_llhttp_execute(parser, start, buffer.count - offset)
            if unsafe record.pointee.completed {
                unsafe record.pointee.completed = false
                let position = unsafe c_nio_llhttp_get_error_pos(parser)
                let end = unsafe position.map { unsafe UnsafeRawPointer($0) - UnsafeRawPointer(buffer.baseAddress!) } ?? buffer.count
                unsafe markEnd(record, at: streamOffset + end)
                if rc == HPE_PAUSED {
                    unsafe c_nio_llhttp_resume(parser)
                    offset = end
                    continue
                }
            }
            switch rc {
            case HPE_OK:
                return true
            case HPE_PAUSED_UPGRADE:
                unsafe record.pointee.summary.stopped = true
                return false
            default:
                unsafe record.pointee.summary.rejection = unsafe String(cString: c_nio_llhttp_errno_name(rc))
                return false
            }
        }
    }

    private static func markEnd(_ record: UnsafeMutablePointer<LLHTTPRecord>, at end: Int) {
        let last = unsafe record.pointee.summary.messages.count - 1
        if last >= 0 { unsafe record.pointee.summary.messages[last].end = end }
    }

    @inline(__always)
    private static func record(_ parser: UnsafeMutablePointer<llhttp_t>?) -> UnsafeMutablePointer<LLHTTPRecord> {
        unsafe parser.unsafelyUnwrapped.pointee.data.unsafelyUnwrapped.assumingMemoryBound(to: LLHTTPRecord.self)
    }

    private static func install(_ settings: UnsafeMutablePointer<llhttp_settings_t>) {
        unsafe settings.pointee.on_message_begin = { parser in
            let r = unsafe LLHTTPFraming.record(parser)
            unsafe r.pointee.inHead = true
            unsafe r.pointee.fields = 0
            unsafe r.pointee.trailers = 0
            return 0
        }
        unsafe settings.pointee.on_header_field_complete = { parser in
            let r = unsafe LLHTTPFraming.record(parser)
            if unsafe r.pointee.inHead { unsafe r.pointee.fields += 1 } else { unsafe r.pointee.trailers += 1 }
            return 0
        }
        unsafe settings.pointee.on_headers_complete = { parser in
            let r = unsafe LLHTTPFraming.record(parser)
            let status = unsafe r.pointee.isResponse ? Int(parser.unsafelyUnwrapped.pointee.status_code) : 0
            unsafe r.pointee.inHead = false
            unsafe r.pointee.summary.messages.append(FramingSummary.Message(fieldCount: r.pointee.fields, status: status))
            guard unsafe r.pointee.isResponse, status != 101 else { return 0 }
            if status < 200 || status == 204 || status == 304 { return 1 }
            switch unsafe r.pointee.method {
            case .head: return 1
            case .connect where status < 300: return 2
            default: return 0
            }
        }
        unsafe settings.pointee.on_body = { parser, _, length in
            let r = unsafe LLHTTPFraming.record(parser)
            let last = unsafe r.pointee.summary.messages.count - 1
            unsafe r.pointee.summary.messages[last].bodyBytes += length
            return 0
        }
        unsafe settings.pointee.on_message_complete = { parser in
            let r = unsafe LLHTTPFraming.record(parser)
            let last = unsafe r.pointee.summary.messages.count - 1
            if last >= 0 { unsafe r.pointee.summary.messages[last].trailerCount = r.pointee.trailers }
            unsafe r.pointee.completed = true
            unsafe parser.unsafelyUnwrapped.pointee.content_length = 0
            return Int32(HPE_PAUSED.rawValue)
        }
    }
}
