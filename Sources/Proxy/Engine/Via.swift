import SafeParse

/// The Via field (RFC 9110 §7.6.3): `Via = #( received-protocol RWS received-by [ RWS comment ] )`.
enum Via {
    /// True when any Via member's received-by equals `name` (ASCII case-insensitive): the
    /// request already passed through this proxy, so forwarding it again would loop.
    static func contains(_ fields: HeaderFields, name: String) -> Bool {
        let lowered = Array(name.lowercased().utf8)
        for i in fields.indices(of: "via") {
            let value = Array(fields.value(at: i))
            for member in value.split(separator: 0x2C) {
                let words = member.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 })
                guard words.count >= 2 else { continue }
                let receivedBy = words[1].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
                if receivedBy == lowered { return true }
            }
        }
        return false
    }
}
