// Pointer code of the write-queue tests, fenced here: a connected pair of stream sockets.
#if canImport(Glibc)
import Glibc
#endif

/// Two connected AF_UNIX stream sockets: `writer` non-blocking with a small send buffer, so a
/// large queue takes many partial sends; `reader` blocking. Closed on deinit.
final class SocketPair {
    let writer: Int32
    private(set) var reader: Int32

    init?() {
        var fds: [Int32] = [-1, -1]
        guard unsafe socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { return nil }
        writer = fds[0]
        reader = fds[1]
        var size: Int32 = 4096
        _ = unsafe setsockopt(writer, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        close(writer)
        if reader >= 0 { close(reader) }
    }

    /// Closes the reading end: later sends on `writer` fail (EPIPE).
    func closeReader() {
        close(reader)
        reader = -1
    }

    /// Whatever the reader can take now without waiting (up to 64 KiB).
    func drain() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = unsafe buffer.withUnsafeMutableBytes { raw in unsafe recv(reader, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT)) }
        return n > 0 ? Array(buffer[0..<n]) : []
    }
}
