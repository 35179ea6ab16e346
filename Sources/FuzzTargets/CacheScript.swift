// FROZEN INPUT ENCODING of the `cache-operations` target (see MessageOptions.swift for why it
// is frozen: saved inputs must keep their meaning).
//
//     byte 0  configuration
//       bits 0-1  store profile (`CacheProfile`): capacityBytes / maxObjectBytes
//                 0: 32 KiB / 4 KiB, 1: 48 KiB / 8 KiB, 2: 64 KiB / 12 KiB, 3: 128 KiB / 24 KiB
//       bits 2-7  reserved (must be 0; inputs setting one are skipped)
//     byte 1...  operations, each an opcode byte and its argument bytes; an operation whose
//                arguments run past the end of the input is dropped and ends it; at most
//                `CacheScript.maxOperations` (256) operations run, later bytes are ignored.
//
// Opcode: bits 0-3 the operation, bits 4-7 ignored.
//
//     0  store       K S0 S1 H P A   store in one go: beginStore, the body appended in pieces,
//                                    then commit (or abandon midway)
//                      K: key and variant (below); bit 6: the length is announced
//                         (expectedBodyBytes, a Content-Length); bit 7: abandon midway
//                      S0 S1: body bytes = (S0 | S1 << 8) % (maxObjectBytes + 513)
//                      H: head bytes (0...255)
//                      P: pieces: 0 the body in one piece; else pieces of pseudo-random length
//                         1...P * 64 (xorshift32 seeded with P)
//                      A: with bit 7 of K, abandon after body * A / 255 bytes (the piece that
//                         crosses that point is cut there); read but unused without it
//     1  begin       K S0 S1 H       open a writer (beginStore) in the first free of 3 slots
//                                    (all taken: nothing); K bit 6: S0 S1 (as for store) is
//                                    announced as the length; K bit 7 ignored; H as for store
//     2  append      W S0 S1         append (S0 | S1 << 8) % (maxObjectBytes + 513) body bytes
//                                    to the writer in slot W % 3 (empty slot: nothing)
//     3  commit      W               commit the writer in slot W % 3 (empty slot: nothing)
//     4  abandon     W               abandon the writer in slot W % 3 (empty slot: nothing)
//     5  lookup      K               K bit 6: accept any variant (the newest of the key);
//                                    bit 7: keep the pin (while fewer than 4 are held; else it
//                                    is released at once)
//     6  release     I               release held pin I % count (none held: nothing)
//     7  remove      K               every variant of K's key (variant bits ignored)
//     8  claimFill   K D             claimFill(key, now, deadline: now + D ms)
//     9  finishFill  K
//     10 isFilling   K
//     11 advance     T               the monotonic clock advances T ms
//     12 reclaim                     reclaimDeadWriters() (every reservation is this process's)
//     13-15          no operation
//
// K, a key and variant byte: bits 0-3 the key (`CacheScript.keys`), bits 4-5 the variant:
// 0 and 3 none (empty variant bytes), 1 "gzip", 2 "br"; bits 6-7 per operation, as above.
// Body and head bytes are cut from a pseudo-random table at a start given by the operation's
// serial number (`CacheScript.pattern`), so no two stores or writers write the same bytes.
// The clock starts at 1 s; fill markers only read the key.
// Empty inputs are skipped.

/// A store configuration of the `cache-operations` target: capacity and largest object, with
/// the heap large enough that the liveness checks hold (see `CacheOperationsDriver`).
struct CacheProfile: Sendable, Hashable {
    var capacityBytes: Int
    var maxObjectBytes: Int

    /// By the 2 low bits of the configuration byte. FROZEN.
    static let all: [CacheProfile] = [
        CacheProfile(capacityBytes: 32 << 10, maxObjectBytes: 4 << 10),
        CacheProfile(capacityBytes: 48 << 10, maxObjectBytes: 8 << 10),
        CacheProfile(capacityBytes: 64 << 10, maxObjectBytes: 12 << 10),
        CacheProfile(capacityBytes: 128 << 10, maxObjectBytes: 24 << 10),
    ]

    /// The modulus of body sizes: up to 512 bytes past `maxObjectBytes`, so oversized bodies
    /// (rejected when announced, failing an append when not) occur too.
    var sizeModulus: Int { maxObjectBytes + 513 }
}

/// A key and variant of the fixed set.
struct CacheTarget: Sendable, Hashable, CustomStringConvertible {
    /// Index into `CacheScript.keys`.
    var key: Int
    /// Index into `CacheScript.variants`.
    var variant: Int

    init(key: Int, variant: Int) {
        self.key = key
        self.variant = variant
    }

    /// Decodes bits 0-5 of a K byte.
    init(_ byte: UInt8) {
        key = Int(byte & 0x0F)
        variant = Int((byte >> 4) & 3) % 3
    }

    var keyBytes: [UInt8] { CacheScript.keys[key] }
    var variantBytes: [UInt8] { CacheScript.variants[variant] }

    var description: String {
        "key \(key)" + (variant == 0 ? "" : " variant \(String(decoding: variantBytes, as: UTF8.self))")
    }
}

/// One decoded operation of a `cache-operations` input.
enum CacheOperation: Sendable, Hashable, CustomStringConvertible {
    case store(CacheTarget, bodyBytes: Int, announced: Bool, headBytes: Int, pieces: UInt8, abandonAfter: Int?)
    case begin(CacheTarget, announcedBytes: Int?, headBytes: Int)
    case append(slot: Int, bytes: Int)
    case commit(slot: Int)
    case abandon(slot: Int)
    case lookup(CacheTarget, anyVariant: Bool, keepPin: Bool)
    case release(UInt8)
    case remove(key: Int)
    case claimFill(key: Int, deadlineMs: UInt64)
    case finishFill(key: Int)
    case isFilling(key: Int)
    case advance(ms: UInt64)
    case reclaim
    case nothing

    var description: String {
        switch self {
        case let .store(target, body, announced, head, pieces, abandonAfter):
            "store \(target), \(body) body bytes\(announced ? " announced" : ""), head \(head), pieces \(pieces)"
                + (abandonAfter.map { ", abandoned after \($0)" } ?? "")
        case let .begin(target, announced, head):
            "begin \(target)" + (announced.map { ", \($0) bytes announced" } ?? "") + ", head \(head)"
        case let .append(slot, bytes): "append \(bytes) bytes to writer \(slot)"
        case let .commit(slot): "commit writer \(slot)"
        case let .abandon(slot): "abandon writer \(slot)"
        case let .lookup(target, any, keep):
            "lookup \(target)\(any ? " (any variant)" : "")\(keep ? ", keeping the pin" : "")"
        case let .release(index): "release pin \(index)"
        case let .remove(key): "remove key \(key)"
        case let .claimFill(key, deadline): "claimFill key \(key), deadline in \(deadline) ms"
        case let .finishFill(key): "finishFill key \(key)"
        case let .isFilling(key): "isFilling key \(key)"
        case let .advance(ms): "clock +\(ms) ms"
        case .reclaim: "reclaimDeadWriters"
        case .nothing: "no operation"
        }
    }
}

enum CacheScript {
    static let maxOperations = 256

    /// The keys operations name (FROZEN: by index): hosts and paths of several lengths, so
    /// index chains and fill-marker groups are shared.
    static let keys: [[UInt8]] = [
        "http://example.com/",
        "http://example.com/index.html",
        "http://example.com/a?b=1",
        "http://example.com/a?b=2",
        "http://www.example.org/images/logo.png",
        "http://www.example.org/style.css",
        "http://cdn.example.net/js/app.min.js",
        "http://cdn.example.net/js/vendor.js",
        "http://api.example.com/v1/items?page=1",
        "http://api.example.com/v1/items?page=2",
        "http://[::1]:8080/",
        "http://127.0.0.1:8080/health",
        "http://a.test/",
        "http://a.test/x",
        "http://b.test/a/long/path/with/many/segments/so/that/this/key/is/longer/than/the/others.html",
        "http://b.test/%7Euser/",
    ].map { Array($0.utf8) }

    /// Variant bytes (a secondary key, e.g. the normalized Accept-Encoding), by index. FROZEN.
    static let variants: [[UInt8]] = [[], Array("gzip".utf8), Array("br".utf8)]

    /// Argument bytes of each opcode.
    static let argumentCounts = [6, 4, 3, 1, 1, 1, 1, 1, 2, 1, 1, 1, 0, 0, 0, 0]

    /// Decodes `data`; nil when it is empty or sets a reserved configuration bit.
    static func decode(_ data: [UInt8]) -> (CacheProfile, [CacheOperation])? {
        guard let configuration = data.first, configuration & 0b1111_1100 == 0 else { return nil }
        let profile = CacheProfile.all[Int(configuration & 3)]
        var operations: [CacheOperation] = []
        var i = 1
        while i < data.count && operations.count < maxOperations {
            let opcode = Int(data[i] & 0x0F)
            let count = argumentCounts[opcode]
            guard i + count < data.count else { break }
            let a = Array(data[(i + 1)..<(i + 1 + count)])
            i += 1 + count
            func size(_ low: UInt8, _ high: UInt8) -> Int { (Int(low) | Int(high) << 8) % profile.sizeModulus }
            switch opcode {
            case 0:
                let body = size(a[1], a[2])
                operations.append(.store(CacheTarget(a[0]), bodyBytes: body, announced: a[0] & 0x40 != 0,
                                         headBytes: Int(a[3]), pieces: a[4],
                                         abandonAfter: a[0] & 0x80 != 0 ? body * Int(a[5]) / 255 : nil))
            case 1:
                operations.append(.begin(CacheTarget(a[0]), announcedBytes: a[0] & 0x40 != 0 ? size(a[1], a[2]) : nil,
                                         headBytes: Int(a[3])))
            case 2: operations.append(.append(slot: Int(a[0]) % 3, bytes: size(a[1], a[2])))
            case 3: operations.append(.commit(slot: Int(a[0]) % 3))
            case 4: operations.append(.abandon(slot: Int(a[0]) % 3))
            case 5: operations.append(.lookup(CacheTarget(a[0]), anyVariant: a[0] & 0x40 != 0, keepPin: a[0] & 0x80 != 0))
            case 6: operations.append(.release(a[0]))
            case 7: operations.append(.remove(key: Int(a[0] & 0x0F)))
            case 8: operations.append(.claimFill(key: Int(a[0] & 0x0F), deadlineMs: UInt64(a[1])))
            case 9: operations.append(.finishFill(key: Int(a[0] & 0x0F)))
            case 10: operations.append(.isFilling(key: Int(a[0] & 0x0F)))
            case 11: operations.append(.advance(ms: UInt64(a[0])))
            case 12: operations.append(.reclaim)
            default: operations.append(.nothing)
            }
        }
        return (profile, operations)
    }

    /// Lengths of the pieces a body of `total` bytes is appended in (FROZEN: xorshift32).
    static func pieces(total: Int, seed: UInt8) -> [Int] {
        guard seed != 0 else { return [total] }
        var state = UInt32(seed)
        var lengths: [Int] = []
        var left = total
        while left > 0 {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            let length = min(left, 1 + Int(state % (UInt32(seed) * 64)))
            lengths.append(length)
            left -= length
        }
        return lengths
    }

    /// Pseudo-random bytes (xorshift32) that bodies and heads are cut from: 64 KiB of starting
    /// points, plus room after any of them for the longest run asked for (an append of up to
    /// maxObjectBytes + 512 bytes after a body of up to maxObjectBytes, 49 KiB at most).
    static let patternTable: [UInt8] = {
        var state: UInt32 = 0x2545_F491
        return (0..<(128 << 10)).map { _ in
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }()

    /// Bytes `range` of the body (`serial` > 0) or head (`~serial`) written by operation
    /// `serial`: the pattern table from a start that differs for every serial below 65536
    /// (FROZEN). Cut from the table rather than computed byte by byte: every byte computed in
    /// the target would pass through libFuzzer's comparison hooks.
    static func pattern(_ serial: Int, _ range: Range<Int>) -> [UInt8] {
        let start = Int(UInt16(truncatingIfNeeded: serial &* 40_503))
        return Array(patternTable[(start + range.lowerBound)..<(start + range.upperBound)])
    }
}
