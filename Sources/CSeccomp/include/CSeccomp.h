#ifndef CSECCOMP_H
#define CSECCOMP_H
// Thin shims over libseccomp for what Swift cannot call directly (variadic functions,
// function-like macros, struct scmp_arg_cmp), plus the SIGSYS reporter and the raw calls of
// `proxy --check-sandbox`. The policies themselves are data in Swift (Sources/Proxy/Sandbox).
#include <stdint.h>

/// libseccomp's runtime version as major*10000 + minor*100 + micro, or 0 if unknown.
unsigned int cseccomp_library_version(void);

/// What a filter does with a call outside its allowlist.
enum cseccomp_default {
    /// SCMP_ACT_TRAP: SIGSYS to the thread; the reporter installed by
    /// cseccomp_install_reporter names the call on stderr, then the process dies of SIGSYS.
    CSECCOMP_DEFAULT_TRAP_AND_DIE = 0,
    /// SCMP_ACT_KILL_PROCESS: the kernel kills the process at once (audit record only).
    CSECCOMP_DEFAULT_KILL_PROCESS = 1,
    /// SCMP_ACT_LOG: the call runs; the kernel writes an audit record naming it.
    CSECCOMP_DEFAULT_LOG = 2,
};

/// A new filter context (native architecture only; other architectures are killed), or
/// NULL.
void *cseccomp_new(enum cseccomp_default action);
/// Frees a context (loaded filters stay in force).
void cseccomp_release(void *ctx);

/// The native syscall number of `name`, or a negative value if the name is unknown here.
int cseccomp_resolve(const char *name);

/// One argument condition: argument `index` (0-5) compared with `op` (values of
/// enum scmp_compare: 1 NE, 2 LT, 3 LE, 4 EQ, 5 GE, 6 GT, 7 MASKED_EQ, where `mask` applies).
struct cseccomp_condition {
    unsigned int index;
    int op;
    uint64_t value;
    uint64_t mask;
};

/// Allows `syscall` when every condition holds (none: always). 0 or a negative errno.
int cseccomp_allow(void *ctx, int syscall, unsigned int count, const struct cseccomp_condition *conditions);
/// Makes `syscall` fail with `error` without running when every condition holds (e.g.
/// clone3 -> ENOSYS). 0 or -errno.
int cseccomp_fail(void *ctx, int syscall, int error, unsigned int count, const struct cseccomp_condition *conditions);
/// Loads the filter onto the calling thread (setting NO_NEW_PRIVS first). 0 or -errno.
int cseccomp_load(void *ctx);

/// Start-up, once, single-threaded, before any filter: probes the kernel's seccomp features
/// (libseccomp would otherwise do it lazily in the first thread that loads a filter) and
/// records the name of every system call for the SIGSYS reporter. 0 or -1.
int cseccomp_prepare(void);

/// Installs the SIGSYS handler that reports a trapped call: one log line on stderr naming
/// the syscall number, then the process dies of SIGSYS. 0 or -1 with errno set.
int cseccomp_install_reporter(void);

/// 1 when this C target was built with AddressSanitizer or ThreadSanitizer (whose runtimes
/// make calls of their own, so the policies get a documented wider list), else 0.
int cseccomp_sanitizer(void);

/// The calling thread's seccomp mode from /proc/thread-self/status (0 none, 1 strict,
/// 2 filter), or -1. For tests; opens a file, so call it before a filter is on.
int cseccomp_thread_mode(void);

/// Probes of `proxy --check-sandbox`: each makes one raw system call and returns its result
/// (>= 0) or -errno. Anything it creates is closed; a fork probe's child exits at once.
enum cseccomp_probe {
    CSECCOMP_PROBE_GETPID = 0,
    CSECCOMP_PROBE_CLOCK_GETTIME,
    CSECCOMP_PROBE_SOCKET_INET,
    CSECCOMP_PROBE_SOCKET_INET6,
    CSECCOMP_PROBE_EPOLL_CREATE,
    CSECCOMP_PROBE_EXECVE,
    CSECCOMP_PROBE_EXECVEAT,
    CSECCOMP_PROBE_FORK,
    CSECCOMP_PROBE_CLONE3,
    CSECCOMP_PROBE_PTRACE,
    CSECCOMP_PROBE_OPEN_WRITE,
    CSECCOMP_PROBE_OPEN_READ,
    CSECCOMP_PROBE_SOCKET_PACKET,
    CSECCOMP_PROBE_SOCKET_NETLINK,
    CSECCOMP_PROBE_BIND,
    CSECCOMP_PROBE_LISTEN,
    CSECCOMP_PROBE_MOUNT,
    CSECCOMP_PROBE_BPF,
    CSECCOMP_PROBE_PERF_EVENT_OPEN,
    CSECCOMP_PROBE_KEXEC_LOAD,
    /// execve of a path that does not exist: forbidden, but harmless where it runs (log mode).
    CSECCOMP_PROBE_EXECVE_MISSING,
};
long cseccomp_run_probe(enum cseccomp_probe probe);

#endif
