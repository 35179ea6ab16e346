/// The binary form of `StoredResponse`, the blob the store keeps in front of nothing else:
/// fixed-size fields first, then the variant bytes and the head bytes.
///
///     offset size
///          0    4  magic "PCSR"
///          4    1  format version (1)
///          5    1  which optional times are present: bit 0 Date, 1 Expires, 2 Last-Modified
///          6    2  flags (`StoredResponse.Flags`)
///          8    2  status
///         10    8  × 9: requestTime, responseTime, date, ageValue, expires, lastModified,
///                  freshnessLifetime, staleWhileRevalidate, staleIfError (Int64; an absent
///                  optional time is 0)
///         82    4  variant length V
///         86    4  head length H
///         90    V  variant bytes
///       90+V    H  head bytes
///
/// All integers little-endian. `decode` accepts exactly this layout and nothing else: a
/// short, long or inconsistent blob (a status that is not the head's) is nil, never a trap, so a damaged entry is a miss.
extension StoredResponse {
    static let magic: [UInt8] = Array("PCSR".utf8)
    static let formatVersion: UInt8 = 1
    static let fixedBytes = 90
    static let statusLinePrefix: [UInt8] = Array("HTTP/1.".utf8)
    static let headEnd: [UInt8] = [13, 10, 13, 10]
    /// Largest head or variant accepted back (heads are bounded by the parser's limits, 64 KiB).
    static let maxPartBytes = 1 << 20

    /// The blob for the store.
    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.fixedBytes + variant.count + head.count)
        out.append(contentsOf: Self.magic)
        out.append(Self.formatVersion)
        var present: UInt8 = 0
        if date != nil { present |= 1 }
        if expires != nil { present |= 2 }
        if lastModified != nil { present |= 4 }
        out.append(present)
        Self.put(&out, UInt64(flags.rawValue), 2)
        Self.put(&out, UInt64(truncatingIfNeeded: status), 2)
        for value in [requestTime, responseTime, date ?? 0, ageValue, expires ?? 0, lastModified ?? 0,
                      freshnessLifetime, staleWhileRevalidate, staleIfError] {
            Self.put(&out, UInt64(bitPattern: value), 8)
        }
        Self.put(&out, UInt64(variant.count), 4)
        Self.put(&out, UInt64(head.count), 4)
        out.append(contentsOf: variant)
        out.append(contentsOf: head)
        return out
    }

    /// Reads a blob written by `encode`; nil for anything else.
    public static func decode(_ blob: Span<UInt8>) -> StoredResponse? {
        decode(blob, copy: nil)
    }

    /// `decode` of an array: its variant and head are sliced out of it (one copy each).
    public static func decode(_ blob: [UInt8]) -> StoredResponse? { decode(blob.span, copy: blob) }

    /// Decodes `blob`; `copy`, when given, holds the same bytes and is sliced for the parts
    /// (a block copy instead of a byte loop).
    private static func decode(_ blob: Span<UInt8>, copy: [UInt8]?) -> StoredResponse? {
        guard blob.count >= fixedBytes else { return nil }
        for i in 0..<4 where blob[i] != magic[i] { return nil }
        guard blob[4] == formatVersion else { return nil }
        let present = blob[5]
        guard present & ~7 == 0 else { return nil }
        let rawFlags = UInt16(truncatingIfNeeded: get(blob, 6, 2))
        guard rawFlags & ~Flags.known == 0 else { return nil }
        let status = Int(get(blob, 8, 2))
        guard (100...999).contains(status) else { return nil }
        func value(_ k: Int) -> Int64 { Int64(bitPattern: get(blob, 10 + 8 * k, 8)) }
        let variantCount = Int(get(blob, 82, 4))
        let headCount = Int(get(blob, 86, 4))
        guard variantCount <= maxPartBytes, headCount <= maxPartBytes,
              blob.count == fixedBytes + variantCount + headCount
        else { return nil }
        // An absent time is written as 0; durations are never negative.
        let (date, expires, lastModified) = (value(2), value(4), value(5))
        let (ageValue, lifetime, staleWhileRevalidate, staleIfError) = (value(3), value(6), value(7), value(8))
        guard present & 1 != 0 || date == 0, present & 2 != 0 || expires == 0, present & 4 != 0 || lastModified == 0,
              ageValue >= 0, lifetime >= 0, staleWhileRevalidate >= 0, staleIfError >= 0
        else { return nil }
        let headStart = fixedBytes + variantCount
        let variant = copy.map { Array($0[fixedBytes..<headStart]) } ?? bytes(blob, fixedBytes, variantCount)
        let head = copy.map { Array($0[headStart..<(headStart + headCount)]) } ?? bytes(blob, headStart, headCount)
        // The head must look like one: a status line with the same status first, the empty
        // line last.
        guard head.count >= 16, head[0..<7].elementsEqual(statusLinePrefix), head[8] == 0x20,
              head[9] == UInt8(truncatingIfNeeded: 0x30 + status / 100), head[10] == UInt8(truncatingIfNeeded: 0x30 + status / 10 % 10),
              head[11] == UInt8(truncatingIfNeeded: 0x30 + status % 10), head[(head.count - 4)...].elementsEqual(headEnd)
        else { return nil }
        return StoredResponse(requestTime: value(0), responseTime: value(1),
                              date: present & 1 != 0 ? date : nil, ageValue: ageValue,
                              expires: present & 2 != 0 ? expires : nil,
                              lastModified: present & 4 != 0 ? lastModified : nil,
                              status: status, freshnessLifetime: lifetime, flags: Flags(rawValue: rawFlags),
                              staleWhileRevalidate: staleWhileRevalidate, staleIfError: staleIfError, variant: variant, head: head)
    }

    static func put(_ out: inout [UInt8], _ value: UInt64, _ count: Int) {
        for i in 0..<count { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    /// Little-endian integer of `count` bytes at `offset` (the caller checked the bounds).
    static func get(_ blob: Span<UInt8>, _ offset: Int, _ count: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<count { value |= UInt64(blob[offset + i]) << (8 * UInt64(i)) }
        return value
    }

    static func bytes(_ blob: Span<UInt8>, _ offset: Int, _ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        for i in offset..<(offset + count) { out.append(blob[i]) }
        return out
    }
}
