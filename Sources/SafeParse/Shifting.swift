/// Moving parsed ranges from input coordinates to head-storage coordinates (the in-place fast
/// path parses lines in the caller's input, then stores them at `index + delta`).
extension Range where Bound == Int {
    @inline(__always)
    func shifted(by delta: Int) -> Range<Int> { (lowerBound + delta)..<(upperBound + delta) }
}

extension Authority {
    func shifted(by delta: Int) -> Authority {
        Authority(host: host.shifted(by: delta), port: port, isIPv6Literal: isIPv6Literal)
    }
}

extension AbsoluteURI {
    func shifted(by delta: Int) -> AbsoluteURI {
        AbsoluteURI(scheme: scheme, schemeRange: schemeRange.shifted(by: delta),
                    authority: authority.shifted(by: delta), pathAndQuery: pathAndQuery.shifted(by: delta))
    }
}

extension RequestTarget {
    func shifted(by delta: Int) -> RequestTarget {
        switch self {
        case .origin(let range): .origin(range.shifted(by: delta))
        case .absolute(let uri): .absolute(uri.shifted(by: delta))
        case .authority(let authority): .authority(authority.shifted(by: delta))
        case .asterisk: .asterisk
        }
    }
}
