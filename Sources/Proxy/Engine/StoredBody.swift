/// A stored response body sent to the client straight from the cache arena, never copied
/// onto the heap: the pin keeps the bytes allocated and unchanged until the last copy of this
/// value is gone (a driver drops it once the socket has taken every byte, or when the
/// connection closes). Whoever makes one hands the pin over: nobody may call `release()` on
/// it afterwards (that would end the pin for every holder). Equal only to itself (identity of
/// the pin).
public struct StoredBody: Sendable, Hashable {
    public let pin: CachePin

    public init(_ pin: CachePin) { self.pin = pin }

    /// Bytes in the body.
    public var count: Int { pin.bodyCount }

    /// A copy of the bytes, for observers (tests, the fuzz target); drivers send in place.
    public func copyBytes() -> [UInt8] { pin.copyBody(0..<pin.bodyCount) }

    public static func == (a: StoredBody, b: StoredBody) -> Bool { a.pin === b.pin }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(pin)) }
}
