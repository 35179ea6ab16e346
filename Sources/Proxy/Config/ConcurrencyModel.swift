/// How connections are spread over threads and processes (the spec's `-c` values).
public enum ConcurrencyModel: String, Sendable, CaseIterable {
    /// One connection at a time on the main thread.
    case iterative
    /// A process per connection.
    case fork
    /// A thread per connection, up to `maxConnections`.
    case thread
    /// N worker threads fed by a bounded queue of accepted connections.
    case pool
    /// Event loops over non-blocking sockets.
    case epoll

    /// Models this build implements; the others are rejected at start-up, never substituted.
    public static let implemented: [ConcurrencyModel] = [.iterative, .fork, .thread, .pool, .epoll]

    /// The name the startup block prints ("thread_pool" for pool, as in the spec).
    public var displayName: String {
        self == .pool ? "thread_pool" : rawValue
    }
}
