// The one pointer-valued accessor of a pin, fenced here: drivers write a hit straight from
// the arena with sendmsg(2) (Sys.send over chunks) instead of copying it out first.

extension CachePin {
    /// The body in place as raw bytes, valid only inside `body` (which must not keep the
    /// pointer) and only while the pin is held.
    public func withBody<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        checkPinned()
        return try unsafe store.arena.withRawBuffer(bodyOffset, count: bodyCount, body)
    }
}
