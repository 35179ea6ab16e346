public import SafeParse

/// Invalidation after unsafe requests (RFC 9111 §4.4): a successful POST, PUT, DELETE, PATCH
/// (or a method whose safety is unknown) may have changed the resource, so the responses
/// stored for its URI, and for the URIs its Location and Content-Location name, are removed.
public enum Invalidation {
    /// True for methods that are not known to be safe (RFC 9110 §9.2.1).
    public static func isUnsafe(_ method: Method) -> Bool {
        switch method {
        case .get, .head, .options, .trace: false
        case .post, .put, .delete, .patch, .connect, .other: true
        }
    }

    /// The keys to remove after `response` to `request`: none unless the method is unsafe and
    /// the status is 2xx or 3xx; then the target URI, and the Location and Content-Location
    /// values (absolute, or relative references resolved against the target, RFC 3986 §5)
    /// whose origin (scheme, host, port) is the target's. Duplicates are dropped.
    public static func keysToInvalidate(request: RequestHead, response: ResponseHead) -> [CacheKey] {
        guard isUnsafe(request.method), (200..<400).contains(response.status),
              let target = CacheKey(target: request)
        else { return [] }
        var keys = [target]
        let view = HeadView(response)
        for name in ["location", "content-location"] {
            guard let value = view.first(name),
                  let key = resolve(reference: Array(value), against: target.bytes),
                  origin(of: key.bytes) == origin(of: target.bytes),
                  !keys.contains(key)
            else { continue }
            keys.append(key)
        }
        return keys
    }

    /// `scheme://authority` of a normalized key.
    static func origin(of key: [UInt8]) -> ArraySlice<UInt8> {
        guard let schemeEnd = find(key, "://", from: 0) else { return key[...] }
        let start = schemeEnd + 3
        let end = key[start...].firstIndex(where: { $0 == 0x2F || $0 == 0x3F }) ?? key.count
        return key[0..<end]
    }

    /// Resolves a URI reference against a normalized absolute base (RFC 3986 §5.2.2), the
    /// fragment dropped, and returns its key; nil when the result is not an absolute URI with
    /// an authority. Dot segments are removed from relative references only: an absolute
    /// reference keeps its path as sent, as a request target's does in its key.
    static func resolve(reference raw: [UInt8], against base: [UInt8]) -> CacheKey? {
        let reference = Array(raw.prefix { $0 != 0x23 }) // "#"
        if hasScheme(reference) { return CacheKey(uri: reference) }
        guard let schemeEnd = find(base, "://", from: 0) else { return nil }
        let scheme = Array(base[0..<schemeEnd])
        let origin = Array(origin(of: base))
        let baseRest = base[origin.count...]
        let basePath = baseRest.prefix { $0 != 0x3F }
        var result: [UInt8]
        if reference.starts(with: [0x2F, 0x2F]) { // "//" network-path reference
            result = scheme + Array(":".utf8) + reference
        } else if reference.isEmpty {
            result = base
        } else if reference.first == 0x3F { // "?query"
            result = origin + Array(basePath) + reference
        } else {
            let pathEnd = reference.firstIndex(of: 0x3F) ?? reference.count
            var path = Array(reference[0..<pathEnd])
            if path.first != 0x2F {
                // merge (§5.2.3): the base path up to its last "/", then the reference
                let directory = basePath.lastIndex(of: 0x2F).map { Array(basePath[basePath.startIndex...$0]) } ?? [0x2F]
                path = directory + path
            }
            result = origin + removeDotSegments(path) + Array(reference[pathEnd...])
        }
        return CacheKey(uri: result)
    }

    /// scheme ":" at the start (RFC 3986 §3.1).
    static func hasScheme(_ r: [UInt8]) -> Bool {
        guard let first = r.first, (first | 0x20) &- 0x61 < 26 else { return false }
        for b in r.dropFirst() {
            if b == CacheBytes.colon { return true }
            let ok = (b | 0x20) &- 0x61 < 26 || CacheBytes.isDigit(b) || b == 0x2B || b == 0x2D || b == 0x2E
            if !ok { return false }
        }
        return false
    }

    /// RFC 3986 §5.2.4.
    static func removeDotSegments(_ path: [UInt8]) -> [UInt8] {
        let segments = path.split(separator: 0x2F, omittingEmptySubsequences: false).dropFirst() // path starts with "/"
        var output: [ArraySlice<UInt8>] = []
        var trailingSlash = false
        for (n, segment) in segments.enumerated() {
            let last = n == segments.count - 1
            if segment.elementsEqual([0x2E]) {
                trailingSlash = last
            } else if segment.elementsEqual([0x2E, 0x2E]) {
                if !output.isEmpty { output.removeLast() }
                trailingSlash = last
            } else {
                output.append(segment)
                trailingSlash = false
            }
        }
        var out: [UInt8] = []
        for segment in output {
            out.append(0x2F)
            out.append(contentsOf: segment)
        }
        if trailingSlash || out.isEmpty { out.append(0x2F) }
        return out
    }

    static func find(_ bytes: [UInt8], _ word: String, from: Int) -> Int? {
        let w = Array(word.utf8)
        guard bytes.count >= w.count else { return nil }
        var i = from
        while i + w.count <= bytes.count {
            if bytes[i..<(i + w.count)].elementsEqual(w) { return i }
            i += 1
        }
        return nil
    }
}
