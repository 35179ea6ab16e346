// The one pointer-valued accessor of a pin, fenced here: drivers write a hit straight from
// the arena with write(2)/writev(2) instead of copying it out first.

extension CachePin {
    /// The body in place as raw bytes, valid only inside `body` (which must not keep the
    /// pointer) and only while the pin is held.
    public func withBody<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        checkPinned()
        return try unsafe store.arena.withRawBuffer(bodyOffset, count: bodyCount, body)
    }
}

extension CachePin {
    /// Appends the body to `out` with one block copy from the arena.
    public func appendBody(to out: inout [UInt8]) {
        withBody { raw in unsafe out.append(contentsOf: raw) }
    }
}
