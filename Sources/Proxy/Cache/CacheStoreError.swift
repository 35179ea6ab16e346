/// Why a `CacheStore` could not be created.
public enum CacheStoreError: Error, Sendable, Equatable {
    /// mmap of the arena failed with this errno.
    case mapFailed(errno: Int32)
    /// The capacity cannot hold the fixed structures plus a usable heap, or `maxObjectBytes`
    /// is not positive.
    case tooSmall
    /// The process-shared robust mutex could not be initialized (the pthread errno).
    case lockInitFailed(Int32)
}
