// Pointer code of the upstream pool tests, fenced here: a stand-in for one origin connection.
#if canImport(Glibc)
import Glibc
#endif

/// A connected pair of AF_UNIX stream sockets standing in for one proxy-to-origin
/// connection: `proxySide` is handed to the code under test, which owns (and closes) it from
/// then on; `originSide` stays with the test, which closes it on deinit.
final class OriginLink {
    let proxySide: Int32
    private(set) var originSide: Int32

    init?() {
        var fds: [Int32] = [-1, -1]
        guard unsafe socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { return nil }
        proxySide = fds[0]
        originSide = fds[1]
    }

    deinit {
        if originSide >= 0 { close(originSide) }
    }

    /// True once the proxy side was closed: the origin side reads end of file at once (or a
    /// reset, if the proxy side was closed with bytes unread).
    var proxyClosed: Bool {
        var byte: UInt8 = 0
        let n = unsafe recv(originSide, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno == ECONNRESET)
    }

    /// The origin ends the connection, as an origin closing an idle keep-alive one does.
    func closeOriginSide() {
        close(originSide)
        originSide = -1
    }

    /// The origin writes unasked (a pooled connection must then not be reused).
    func originWrites(_ text: String) {
        let bytes = Array(text.utf8)
        _ = unsafe bytes.withUnsafeBytes { raw in unsafe send(originSide, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL)) }
    }
}
