public import SafeParse

/// Secondary keys (RFC 9111 §4.1): the request fields a response's Vary names, in a canonical
/// byte form ("variant bytes") stored with the response and compared with later requests.
///
/// Form: one line per name, in the order Vary lists them (duplicates dropped), the name lower
/// case, then
/// - `: ` and the value when the request has the field: every line of it combined with `, `
///   (RFC 9110 §5.3), each list member trimmed, empty members dropped, runs of SP/HTAB
///   outside quoted strings collapsed to one SP;
/// - nothing when the request lacks the field (so a missing field differs from an empty one,
///   which is `name: `);
/// and `\n`. Without Vary the variant is empty and matches every request.
public enum VaryKey {
    /// The names a Vary field lists, lower case, in order, without duplicates; nil for `*`.
    public static func varyNames(_ response: ResponseHead) -> [[UInt8]]? { varyNames(HeadView(response)) }

    static func varyNames(_ view: HeadView) -> [[UInt8]]? {
        var names: [[UInt8]] = []
        for member in view.listMembers(of: "vary") {
            if member.elementsEqual([0x2A]) { return nil }
            let name = CacheBytes.lowercased(member)
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// The variant bytes of `request` for `response`'s Vary; nil for `Vary: *` (never matches).
    public static func variant(response: ResponseHead, request: RequestHead) -> [UInt8]? {
        guard let names = varyNames(response) else { return nil }
        return variant(names: names, request: HeadView(request))
    }

    /// The variant bytes of `request` for the given lower-case names.
    public static func variant(names: [[UInt8]], request: RequestHead) -> [UInt8] {
        variant(names: names, request: HeadView(request))
    }

    static func variant(names: [[UInt8]], request: HeadView) -> [UInt8] {
        var out: [UInt8] = []
        for name in names {
            out.append(contentsOf: name)
            let lines = request.fields.indices.filter { CacheBytes.equalsIgnoringCase(request.name($0), name[...]) }
            if !lines.isEmpty {
                out.append(contentsOf: ": ".utf8)
                var first = true
                for i in lines {
                    for member in CacheBytes.listMembers(request.value(i)) {
                        if !first { out.append(contentsOf: ", ".utf8) }
                        first = false
                        appendCollapsingWhitespace(member, to: &out)
                    }
                }
            }
            out.append(CacheBytes.lf)
        }
        return out
    }

    /// True when `request` has the same values as the stored `variant` for the names it lists.
    public static func matches(request: RequestHead, variant: [UInt8]) -> Bool {
        matches(HeadView(request), variant: variant)
    }

    static func matches(_ request: HeadView, variant: [UInt8]) -> Bool {
        guard !variant.isEmpty else { return true }
        guard let names = names(inVariant: variant) else { return false }
        return self.variant(names: names, request: request) == variant
    }

    /// The names a variant lists; nil when the bytes are not a variant.
    public static func names(inVariant variant: [UInt8]) -> [[UInt8]]? {
        guard variant.last == CacheBytes.lf else { return variant.isEmpty ? [] : nil }
        var names: [[UInt8]] = []
        for line in variant.split(separator: CacheBytes.lf, omittingEmptySubsequences: false).dropLast() {
            let name = line.prefix { $0 != CacheBytes.colon }
            guard !name.isEmpty, name.allSatisfy({ HeadView.isTokenByte($0) }) else { return nil }
            names.append(Array(name))
        }
        return names
    }

    static func appendCollapsingWhitespace(_ member: ArraySlice<UInt8>, to out: inout [UInt8]) {
        var inQuotes = false
        var pendingSpace = false
        var escaped = false
        for b in member {
            if !inQuotes && CacheBytes.isWhitespace(b) { pendingSpace = true; continue }
            if pendingSpace { out.append(CacheBytes.sp); pendingSpace = false }
            out.append(b)
            if escaped { escaped = false } else if inQuotes && b == CacheBytes.backslash { escaped = true }
            else if b == CacheBytes.dquote { inQuotes.toggle() }
        }
    }
}
