import SafeParse

// FROZEN INPUT ENCODING of the `small-parsers` target (see MessageOptions.swift for why):
//
//     byte 0  bits 0-5: k, the payload is also given as two field lines cut at count * k / 63
//             bits 6-7: reserved (must be 0; inputs setting one are skipped)
//     byte 1...  the payload: a field value
//
// Empty inputs are skipped.

/// Fuzz target `small-parsers`: `CacheControl` (with `pragmaNoCache`) and `ConnectionOptions`.
///
/// On any bytes: `add` reads only its range (the payload embedded between filler bytes gives
/// the same answer). When the payload is a valid field value (a request head carrying it as
/// Cache-Control, Connection and Pragma, once whole and once cut in two lines, parses):
/// `parse(fields)` agrees with `add` on the value and with the independent reference models
/// (`ListFieldReference`) for both layouts; `nominates` names exactly the nominated fields;
/// `isPersistent` follows RFC 9112 §9.3; and the round trip holds: the parsed directives and
/// options, serialized in canonical form, parse to the same values (no invalid member).
public enum SmallParsersTarget {
    public static func run(_ data: [UInt8]) {
        trap(on: check(data))
    }

    /// Bytes around the embedded payload that would change the answer if they were read.
    static let filler = Array(",\"\\=; no-store, close ".utf8)

    public static func check(_ data: [UInt8]) -> InvariantViolation? {
        guard let options = data.first, options & 0b1100_0000 == 0 else { return nil }
        let payload = Array(data.dropFirst())
        let cut = payload.count * Int(options) / 63
        do throws(InvariantViolation) {
            try checkRange(payload)
            let value = try checkParsed(payload, layout: [payload])
            if let value {
                try checkRoundTrips(value)
                _ = try checkParsed(payload, layout: [Array(payload[..<cut]), Array(payload[cut...])])
            }
            return nil
        } catch {
            return error
        }
    }

    /// `add` on the payload alone and embedded in filler gives the same result.
    static func checkRange(_ payload: [UInt8]) throws(InvariantViolation) {
        let embedded = filler + payload + filler
        let range = filler.count..<(filler.count + payload.count)
        var alone = CacheControl(), inside = CacheControl()
        alone.add(payload.span, 0..<payload.count)
        inside.add(embedded.span, range)
        try require(alone == inside, "CacheControl.add reads outside its range")
        try require(connectionResult(payload, 0..<payload.count) == connectionResult(embedded, range),
                    "ConnectionOptions.add reads outside its range")
    }

    static func connectionResult(_ bytes: [UInt8], _ range: Range<Int>) -> Result<ConnectionOptions, ParseError> {
        var options = ConnectionOptions()
        do throws(ParseError) {
            try options.add(bytes.span, range)
            return .success(options)
        } catch {
            return .failure(error)
        }
    }

    /// Parses a head carrying `layout` as Cache-Control, Connection and Pragma lines and checks
    /// the three parsers on it. Returns the trimmed value when the whole payload was one line.
    static func checkParsed(_ payload: [UInt8], layout: [[UInt8]]) throws(InvariantViolation) -> [UInt8]? {
        // A line break would start another field line: not a field value.
        guard !payload.contains(Grammar.cr) && !payload.contains(Grammar.lf) else { return nil }
        var text = Array("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n".utf8)
        for name in ["Cache-Control", "Connection", "Pragma"] {
            for value in layout { text += Array("\(name): ".utf8) + value + [Grammar.cr, Grammar.lf] }
        }
        text += [Grammar.cr, Grammar.lf]
        var parser = RequestParser(limits: .unbounded)
        guard case .success(let step) = parser.parseResult(text.span), step.event == .headComplete else { return nil }
        let fields = parser.head.fields
        func values(_ name: String) -> [[UInt8]] { fields.indices(of: name).map { Array(fields.value(at: $0)) } }
        let cacheValues = values("cache-control"), connectionValues = values("connection")
        try require(cacheValues.count == layout.count && connectionValues.count == layout.count, "head lost a field line")

        let cc = CacheControl.parse(fields)
        let reference = ListFieldReference.cacheControl(cacheValues)
        try require(cc == reference, "CacheControl \(cc) differs from the reference \(reference)")
        if layout.count == 1 {
            var direct = CacheControl()
            direct.add(payload.span, 0..<payload.count)
            try require(direct == cc, "CacheControl.add on the raw value differs from parse(fields)")
        }
        try require(CacheControl.pragmaNoCache(fields) == ListFieldReference.pragmaNoCache(values("pragma")),
                    "pragmaNoCache differs from the reference")

        let expected = ListFieldReference.connectionOptions(connectionValues)
        let parsed: Result<ConnectionOptions, ParseError>
        do throws(ParseError) {
            parsed = .success(try ConnectionOptions.parse(fields))
        } catch {
            parsed = .failure(error)
        }
        switch parsed {
        case .success(let options):
            try require(options == expected, "ConnectionOptions \(options) differs from the reference \(String(describing: expected))")
            for i in 0..<fields.count {
                let name = HopByHopRules.name(fields, i)
                try require(options.nominates(fields, at: i) == options.nominatedFields.contains(name),
                            "nominates(\(name)) disagrees with nominatedFields")
            }
            try require(options.isPersistent(version: .http11) == !options.close
                            && options.isPersistent(version: .http10) == (!options.close && options.keepAlive),
                        "isPersistent does not follow RFC 9112 §9.3")
        case .failure(let error):
            try require(error == .invalidConnectionOption, "ConnectionOptions.parse threw \(error)")
            try require(expected == nil, "ConnectionOptions rejected what the reference accepts")
        }
        return layout.count == 1 ? cacheValues[0] : nil
    }

    /// Canonical serializations parse back to the same values.
    static func checkRoundTrips(_ value: [UInt8]) throws(InvariantViolation) {
        var cc = CacheControl()
        cc.add(value.span, 0..<value.count)
        let text = Array(serialize(cc).utf8)
        var again = CacheControl()
        again.add(text.span, 0..<text.count)
        var expected = cc
        expected.invalidMembers = 0
        try require(again == expected, "Cache-Control round trip: \(serialize(cc)) parses to \(again)")

        guard case .success(let options) = connectionResult(value, 0..<value.count) else { return }
        var names: [String] = []
        if options.close { names.append("close") }
        if options.keepAlive { names.append("keep-alive") }
        let line = Array((names + options.nominatedFields).joined(separator: ", ").utf8)
        try require(connectionResult(line, 0..<line.count) == .success(options),
                    "Connection round trip: \(String(decoding: line, as: UTF8.self)) parses to another value")
    }

    /// Cache-Control directives in canonical form: flags bare, delta-seconds as decimal.
    static func serialize(_ cc: CacheControl) -> String {
        var parts: [String] = []
        let valued: [(String, UInt32?)] = [("max-age", cc.maxAge), ("s-maxage", cc.sMaxAge), ("max-stale", cc.maxStale),
                                           ("min-fresh", cc.minFresh), ("stale-while-revalidate", cc.staleWhileRevalidate),
                                           ("stale-if-error", cc.staleIfError)]
        for (name, v) in valued { if let v { parts.append("\(name)=\(v)") } }
        let flags: [(String, Bool)] = [("no-cache", cc.noCache), ("no-store", cc.noStore), ("no-transform", cc.noTransform),
                                       ("only-if-cached", cc.onlyIfCached), ("must-revalidate", cc.mustRevalidate),
                                       ("proxy-revalidate", cc.proxyRevalidate), ("must-understand", cc.mustUnderstand),
                                       ("private", cc.isPrivate), ("public", cc.isPublic), ("immutable", cc.immutable)]
        for (name, on) in flags where on { parts.append(name) }
        return parts.joined(separator: ", ")
    }
}
