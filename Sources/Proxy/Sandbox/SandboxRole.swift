/// A thread's job, which picks its seccomp policy. Each long-lived thread installs its
/// role's filter once, as it starts and before it touches an untrusted byte; threads created
/// later inherit the filter of the thread that creates them. Never per connection.
///
/// | driver    | main thread        | other threads                                         |
/// |-----------|--------------------|-------------------------------------------------------|
/// | iterative | `servingAcceptor`  | `logger`, `resolver` ×2                               |
/// | thread    | `spawningAcceptor` | connection threads inherit it; `logger`, `resolver` ×2 |
/// | pool      | `acceptor`         | `worker` ×`-t`, `logger`, `resolver` ×2               |
/// | epoll     | `acceptor`         | `worker` (event loops) ×`-t`, `logger`, `resolver` ×2 |
/// | fork      | `forkParent`       | none; each child process installs `forkChild` once    |
public enum SandboxRole: String, Sendable, CaseIterable {
    /// Polls the listening sockets and the signalfd, accepts, hands connections on, answers
    /// 503 when over a limit (pool main thread), or only waits for the shutdown signal (epoll
    /// main thread).
    case acceptor
    /// The iterative model's main thread: accepts and serves each connection itself.
    case servingAcceptor
    /// The thread model's main thread: accepts and starts a thread per connection, which
    /// inherits this filter (threads may be created; processes may not).
    case spawningAcceptor
    /// Serves connections: pool workers (blocking) and epoll event loops (which accept from
    /// the shared listeners themselves).
    case worker
    /// Runs getaddrinfo for the others: reads the resolver's files, talks to DNS servers.
    case resolver
    /// Writes formatted log lines to stderr.
    case logger
    /// The fork model's parent: accepts, forks a child per connection, reaps. Its children
    /// start under this filter, so it holds the child's calls too, plus what the child needs
    /// to narrow itself (`seccomp`, `prctl(PR_SET_NO_NEW_PRIVS)`).
    case forkParent
    /// A fork-model child serving its one connection; it resolves names itself (its parent
    /// starts no resolver threads), so it reads the resolver's files read-only.
    case forkChild
}
