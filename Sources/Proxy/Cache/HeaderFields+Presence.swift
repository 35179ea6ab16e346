public import SafeParse

/// Cheap presence tests on a parsed request's fields, so that the cache's readers of rare
/// fields (Cache-Control, Pragma, the If-* conditionals) can skip building a `HeadView` for
/// the common request that has none of them. Names are compared as bytes, without a String.
extension HeaderFields {
    /// True if some field's name starts with `lowercasePrefix` (ASCII case-insensitive).
    func hasName(startingWith lowercasePrefix: [UInt8]) -> Bool {
        (0..<count).contains { index in
            nameRange(at: index).count >= lowercasePrefix.count && hasName(at: index, startingWith: lowercasePrefix)
        }
    }

    /// True if some field is named `lowercaseName` (ASCII case-insensitive).
    func hasName(_ lowercaseName: [UInt8]) -> Bool {
        (0..<count).contains { index in
            nameRange(at: index).count == lowercaseName.count && hasName(at: index, startingWith: lowercaseName)
        }
    }

    /// True if field `index`'s name starts with `lowercasePrefix` (the name is at least as long).
    private func hasName(at index: Int, startingWith lowercasePrefix: [UInt8]) -> Bool {
        var offset = nameRange(at: index).lowerBound
        for expected in lowercasePrefix {
            guard CacheBytes.lowercased(bytes[offset]) == expected else { return false }
            offset += 1
        }
        return true
    }
}
