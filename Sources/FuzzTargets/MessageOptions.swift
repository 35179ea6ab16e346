import SafeParse

// FROZEN INPUT ENCODING of the `request-parser` and `response-parser` targets.
//
// Every saved input (corpus/, corpus/regressions/, crash files) depends on this layout: do not
// reorder, renumber or reinterpret anything below. New options may only take bits that are
// reserved today, and inputs with a reserved bit set are skipped (not parsed), so that old
// files keep their meaning when such a bit gets one.
//
//     byte 0  options
//       bits 0-1  limits profile (`LimitsProfile`): 0 default, 1 small, 2 tiny, 3 zero
//       bit  2    call `finish()` after the last byte (end of stream)
//       bits 3-4  response-parser: the request method the response answers
//                 0 GET, 1 HEAD, 2 CONNECT, 3 POST; request-parser: reserved
//       bits 5-7  reserved (must be 0)
//     byte 1  split pattern (`SplitPattern`): mode = bits 6-7, k = bits 0-5
//       mode 0    two pieces, cut at payload.count * k / 63
//       mode 1    pieces of k + 1 bytes
//       mode 2    pieces of pseudo-random length 0...k+1 (xorshift32 seeded with k + 1)
//       mode 3    the first k bytes one by one, then the rest in one piece
//     byte 2...   the payload: the byte stream given to the parser
//
// Inputs shorter than 2 bytes are skipped. Each payload is parsed whole (the reference),
// split by the pattern, and byte by byte when it is at most `byteByByteMaxCount` bytes long.

/// Decoded leading bytes of a message-parser input.
struct MessageOptions: Sendable, Hashable {
    var limits: Limits
    var callsFinish: Bool
    var requestMethod: Method
    var split: SplitPattern

    /// Decodes `data`; nil when the input is too short or sets a reserved bit.
    /// `usesMethod` is false for the request target, whose bits 3-4 are reserved.
    static func decode(_ data: [UInt8], usesMethod: Bool) -> (options: MessageOptions, payload: [UInt8])? {
        guard data.count >= 2 else { return nil }
        let flags = data[0]
        let reserved: UInt8 = usesMethod ? 0b1110_0000 : 0b1111_1000
        guard flags & reserved == 0 else { return nil }
        let methods: [Method] = [.get, .head, .connect, .post]
        let options = MessageOptions(
            limits: LimitsProfile(rawValue: flags & 0b11).map(\.limits) ?? .default,
            callsFinish: flags & 0b100 != 0,
            requestMethod: methods[Int((flags >> 3) & 0b11)],
            split: SplitPattern(data[1]))
        return (options, Array(data[2...]))
    }
}

/// Longest payload that is also fed one byte per call.
let byteByByteMaxCount = 512

/// The limit sets an input can choose (FROZEN: values are part of the encoding).
enum LimitsProfile: UInt8, CaseIterable {
    /// `Limits.default`.
    case standard = 0
    /// Short lines and heads, a few fields, a bounded body: every limit is reachable.
    case small = 1
    /// Barely room for a minimal message.
    case tiny = 2
    /// Every limit 0: the edges of the limit arithmetic.
    case zero = 3

    var limits: Limits {
        var l = Limits()
        switch self {
        case .standard:
            break
        case .small:
            l.maxRequestLineBytes = 64; l.maxStatusLineBytes = 64; l.maxFieldLineBytes = 64
            l.maxFieldCount = 4; l.maxHeadBytes = 256; l.maxChunkExtensionBytes = 16
            l.maxTrailerBytes = 64; l.maxTrailerFieldCount = 2; l.maxBodyBytes = 1024
        case .tiny:
            l.maxRequestLineBytes = 24; l.maxStatusLineBytes = 24; l.maxFieldLineBytes = 16
            l.maxFieldCount = 2; l.maxHeadBytes = 48; l.maxChunkExtensionBytes = 4
            l.maxTrailerBytes = 16; l.maxTrailerFieldCount = 1; l.maxBodyBytes = 16
        case .zero:
            l.maxRequestLineBytes = 0; l.maxStatusLineBytes = 0; l.maxFieldLineBytes = 0
            l.maxFieldCount = 0; l.maxHeadBytes = 0; l.maxChunkExtensionBytes = 0
            l.maxTrailerBytes = 0; l.maxTrailerFieldCount = 0; l.maxBodyBytes = 0
        }
        return l
    }
}

/// How the payload is cut into the pieces given to successive `parse` calls (byte 1).
struct SplitPattern: Sendable, Hashable {
    var byte: UInt8

    init(_ byte: UInt8) {
        self.byte = byte
    }

    /// The pieces, as consecutive ranges covering `0..<count` (empty pieces included).
    func pieces(count: Int) -> [Range<Int>] {
        let k = Int(byte & 0x3F)
        var cuts: [Int] = []
        switch byte >> 6 {
        case 0:
            cuts = [count * k / 63]
        case 1:
            cuts = Array(stride(from: k + 1, to: count, by: k + 1))
        case 2:
            var state = UInt32(k + 1)
            var at = 0
            while at < count {
                // xorshift32 (Marsaglia), FROZEN
                state ^= state << 13
                state ^= state >> 17
                state ^= state << 5
                at += Int(state % UInt32(k + 2))
                cuts.append(min(at, count))
            }
        default:
            cuts = Array(stride(from: 1, through: min(k, count), by: 1))
        }
        return ranges(cuttingAt: cuts, count: count)
    }

    /// Every byte its own piece.
    static func byteByByte(count: Int) -> [Range<Int>] {
        (0..<count).map { $0..<($0 + 1) }
    }
}

/// Consecutive ranges between nondecreasing `cuts` (clamped to `0...count`).
func ranges(cuttingAt cuts: [Int], count: Int) -> [Range<Int>] {
    var result: [Range<Int>] = []
    var start = 0
    for cut in cuts {
        let end = min(max(cut, start), count)
        result.append(start..<end)
        start = end
    }
    result.append(start..<count)
    return result
}
