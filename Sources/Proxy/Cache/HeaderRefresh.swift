public import SafeParse

/// Freshening a stored response with a 304 (RFC 9111 §3.2, §4.3.4): the 304's fields replace
/// the stored fields of the same name; the body and what frames or encodes it stay.
public enum HeaderRefresh {
    /// Fields of a 304 that never replace the stored ones: framing and body metadata (the body
    /// is the stored one, §3.2), Warning (obsolete, §5.5), and our own X-Proxy-Cache. Hop-by-hop
    /// fields (fixed names and those the 304's Connection nominates) are skipped as well.
    public static let ignoredFieldNames = ["content-length", "transfer-encoding", "content-encoding", "content-range",
                                           "warning", "x-proxy-cache"]

    /// The stored head with the 304's fields merged: each field the 304 carries replaces every
    /// stored line of that name (at the place of the first one, in the 304's order and bytes);
    /// new names go at the end; stored `Warning: 1xx` lines are dropped (§4.3.4 of RFC 7234).
    /// The stored Age is dropped (it described the first exchange; the 304's Age, if any, takes
    /// its place). With `responseTime`, a 304 without Date gets one from it (RFC 9110 §6.6.1),
    /// so the stored Date does not make the refreshed response look old. nil when the stored
    /// head cannot be read.
    public static func mergedHead(storedHead: [UInt8], notModified: ResponseHead, responseTime: Int64? = nil) -> [UInt8]? {
        guard let stored = HeadView(storedHead: storedHead) else { return nil }
        let fields = notModified.fields
        let connection = (try? ConnectionOptions.parse(fields)) ?? ConnectionOptions()
        var updates: [(name: [UInt8], line: ArraySlice<UInt8>)] = []
        for i in 0..<fields.count {
            if HopByHop.isHopByHop(fields, i, connection) { continue }
            if ignoredFieldNames.contains(where: { fields.name(at: i, is: $0) }) { continue }
            updates.append((CacheBytes.lowercased(fields.name(at: i)), fields.line(at: i)))
        }
        let dateName = Array("date".utf8)
        if let responseTime, !updates.contains(where: { $0.name == dateName }) {
            updates.append((dateName, ArraySlice(Array("Date: ".utf8) + HTTPDate.format(responseTime) + CacheBytes.crlf)))
        }
        var out: [UInt8] = []
        out.reserveCapacity(storedHead.count + notModified.bytes.count)
        out.append(contentsOf: stored.bytes[stored.startLine])
        out.append(contentsOf: CacheBytes.crlf)
        var written: Set<[UInt8]> = []
        for i in stored.fields.indices {
            let name = CacheBytes.lowercased(stored.name(i))
            if updates.contains(where: { $0.name == name }) {
                if written.insert(name).inserted {
                    for update in updates where update.name == name { out.append(contentsOf: update.line) }
                }
                continue
            }
            if name == Array("warning".utf8), stored.value(i).first == 0x31 { continue } // 1xx warn-code
            if name == Array("age".utf8) { continue }
            out.append(contentsOf: stored.line(i))
        }
        for update in updates where !written.contains(update.name) { out.append(contentsOf: update.line) }
        out.append(contentsOf: CacheBytes.crlf)
        return out
    }

    /// True when the 304 can describe the stored response (RFC 9111 §4.3.3, §4.3.4): an ETag in
    /// both must match (weak comparison), and a Last-Modified in both must be the same time.
    /// A 304 with neither says nothing against it.
    public static func validatorsAgree(storedHead: [UInt8], notModified: ResponseHead) -> Bool {
        guard let stored = HeadView(storedHead: storedHead) else { return false }
        let fresh = HeadView(notModified)
        if let new = fresh.first("etag"), let old = stored.first("etag") {
            guard let a = EntityTag(new), let b = EntityTag(old), a.weaklyMatches(b) else { return false }
        }
        if let new = fresh.date("last-modified").seconds, let old = stored.date("last-modified").seconds, new != old {
            return false
        }
        return true
    }

    /// What to do with a stored response after the origin answered a validation with 304:
    /// - `.updated`: the merged head (`mergedHead` with `responseTime`) and metadata computed
    ///   anew from it, with the validation exchange's times (its Date and Age now give the age,
    ///   §4.2.3); the variant is kept.
    ///   Replace the entry and serve it (REVALIDATED).
    /// - `.serveAndRemove`: the merged head now forbids storing (`no-store`, `private`): serve
    ///   it with the stored body this once, then remove the entry.
    /// - `.notApplicable`: the 304's validators do not match the stored response, or the stored
    ///   head cannot be read: fetch the resource again without conditions.
    public static func refresh(_ stored: StoredResponse, notModified: ResponseHead, requestTime: Int64, responseTime: Int64,
                               options: CachePolicyOptions = .default) -> Outcome {
        guard validatorsAgree(storedHead: stored.head, notModified: notModified),
              let head = mergedHead(storedHead: stored.head, notModified: notModified, responseTime: responseTime),
              let view = HeadView(storedHead: head)
        else { return .notApplicable }
        let cc = view.cacheControl()
        if (cc.noStore && !cc.mustUnderstand) || cc.isPrivate { return .serveAndRemove(head: head) }
        return .updated(StoredResponse(view, variant: stored.variant, requestTime: requestTime, responseTime: responseTime,
                                       lifetime: nil, options: options))
    }

    public enum Outcome: Sendable, Hashable {
        case updated(StoredResponse)
        case serveAndRemove(head: [UInt8])
        case notApplicable
    }
}
