#define _GNU_SOURCE
#include "CSeccomp.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>
#include <seccomp.h>

unsigned int cseccomp_library_version(void) {
    const struct scmp_version *v = seccomp_version();
    if (v == NULL) return 0;
    return v->major * 10000u + v->minor * 100u + v->micro;
}

void *cseccomp_new(enum cseccomp_default action) {
    uint32_t act = SCMP_ACT_TRAP;
    if (action == CSECCOMP_DEFAULT_KILL_PROCESS) act = SCMP_ACT_KILL_PROCESS;
    if (action == CSECCOMP_DEFAULT_LOG) act = SCMP_ACT_LOG;
    scmp_filter_ctx ctx = seccomp_init(act);
    if (ctx == NULL) return NULL;
    // A call made through another architecture's entry (int 0x80 on x86-64) is killed, not
    // judged by the native table. No CTL_LOG: it would put every errno answer (clone3 at each
    // thread start) in the kernel's log; SCMP_ACT_LOG and kills are logged without it.
    if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0) {
        seccomp_release(ctx);
        return NULL;
    }
    return ctx;
}

void cseccomp_release(void *ctx) {
    seccomp_release((scmp_filter_ctx)ctx);
}

int cseccomp_resolve(const char *name) {
    return seccomp_syscall_resolve_name(name);
}

static void fill_conditions(struct scmp_arg_cmp *args, unsigned int count, const struct cseccomp_condition *conditions) {
    for (unsigned int i = 0; i < count; i++) {
        args[i].arg = conditions[i].index;
        args[i].op = (enum scmp_compare)conditions[i].op;
        if (conditions[i].op == SCMP_CMP_MASKED_EQ) {
            args[i].datum_a = conditions[i].mask;
            args[i].datum_b = conditions[i].value;
        } else {
            args[i].datum_a = conditions[i].value;
            args[i].datum_b = 0;
        }
    }
}

int cseccomp_allow(void *ctx, int syscall, unsigned int count, const struct cseccomp_condition *conditions) {
    struct scmp_arg_cmp args[6];
    if (count > 6) return -EINVAL;
    fill_conditions(args, count, conditions);
    return seccomp_rule_add_array((scmp_filter_ctx)ctx, SCMP_ACT_ALLOW, syscall, count, args);
}

int cseccomp_fail(void *ctx, int syscall, int error, unsigned int count, const struct cseccomp_condition *conditions) {
    struct scmp_arg_cmp args[6];
    if (count > 6) return -EINVAL;
    fill_conditions(args, count, conditions);
    return seccomp_rule_add_array((scmp_filter_ctx)ctx, SCMP_ACT_ERRNO((uint32_t)error), syscall, count, args);
}

int cseccomp_load(void *ctx) {
    return seccomp_load((scmp_filter_ctx)ctx);
}

/// Names of the native system calls by number, for the reporter (filled once by
/// cseccomp_prepare; the strings are never freed).
#define CSECCOMP_NAMES 512
static char *syscall_names[CSECCOMP_NAMES];

int cseccomp_prepare(void) {
    if (seccomp_api_get() < 3) return -1; // SCMP_ACT_KILL_PROCESS and CTL_LOG need level 3
    for (int i = 0; i < CSECCOMP_NAMES; i++) {
        if (syscall_names[i] == NULL) syscall_names[i] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, i);
    }
    return 0;
}

// The SIGSYS reporter. Async-signal-safe: formats into a stack buffer, one write(2), then
// makes the trapped call again with its original registers. The filter traps it again, and
// as SIGSYS is blocked inside its own handler the kernel resets it to the default action and
// delivers it: the process dies of SIGSYS (WTERMSIG 31) as with SCMP_ACT_KILL_PROCESS, after
// the log line. The handler needs no system call beyond write.
static size_t append_text(char *buf, size_t at, const char *text) {
    while (*text && at < 255) buf[at++] = *text++;
    return at;
}

static size_t append_number(char *buf, size_t at, long value) {
    char digits[24];
    int n = 0;
    unsigned long v = value < 0 ? (unsigned long)(-value) : (unsigned long)value;
    if (value < 0 && at < 255) buf[at++] = '-';
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v && n < 24);
    while (n > 0 && at < 255) buf[at++] = digits[--n];
    return at;
}

static size_t append_padded(char *buf, size_t at, long value, int width) {
    char digits[24];
    int n = 0;
    for (; n < width && n < 24; n++) { digits[n] = (char)('0' + value % 10); value /= 10; }
    while (n > 0 && at < 255) buf[at++] = digits[--n];
    return at;
}

/// "[YYYY-MM-DDTHH:MM:SS.mmmZ]" from the realtime clock (vDSO; days to civil date by
/// arithmetic only, H. Hinnant's algorithm), as LogFormat writes it.
static size_t append_timestamp(char *buf, size_t at) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long secs = (long)now.tv_sec;
    long days = secs / 86400, rest = secs % 86400;
    long z = days + 719468, era = z / 146097, doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
    at = append_text(buf, at, "[");
    at = append_padded(buf, at, y, 4); at = append_text(buf, at, "-");
    at = append_padded(buf, at, m, 2); at = append_text(buf, at, "-");
    at = append_padded(buf, at, d, 2); at = append_text(buf, at, "T");
    at = append_padded(buf, at, rest / 3600, 2); at = append_text(buf, at, ":");
    at = append_padded(buf, at, rest / 60 % 60, 2); at = append_text(buf, at, ":");
    at = append_padded(buf, at, rest % 60, 2); at = append_text(buf, at, ".");
    at = append_padded(buf, at, now.tv_nsec / 1000000, 3);
    return append_text(buf, at, "Z]");
}

static void report_sigsys(int signo, siginfo_t *info, void *context) {
    (void)signo;
    char line[256];
    size_t at = append_timestamp(line, 0);
    at = append_text(line, at, " [ERROR] [sandbox] sandbox_violation syscall=");
    at = append_number(line, at, info->si_syscall);
    if (info->si_syscall >= 0 && info->si_syscall < CSECCOMP_NAMES && syscall_names[info->si_syscall] != NULL) {
        at = append_text(line, at, " name=");
        at = append_text(line, at, syscall_names[info->si_syscall]);
    }
    at = append_text(line, at, " arch=");
    at = append_number(line, at, (long)info->si_arch);
    at = append_text(line, at, " action=kill_process\n");
    ssize_t unused = write(2, line, at);
    (void)unused;
    ucontext_t *uc = (ucontext_t *)context;
    greg_t *r = uc->uc_mcontext.gregs;
    syscall(info->si_syscall, r[REG_RDI], r[REG_RSI], r[REG_RDX], r[REG_R10], r[REG_R8], r[REG_R9]);
    // Not reached when the call is denied; should it have been allowed after all, die anyway.
    _exit(128 + SIGSYS);
}

int cseccomp_install_reporter(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = report_sigsys;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    return sigaction(SIGSYS, &action, NULL);
}

int cseccomp_sanitizer(void) {
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    return 1;
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return 1;
#endif
    return 0;
}

int cseccomp_thread_mode(void) {
    int fd = open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = '\0';
    char *line = strstr(buf, "\nSeccomp:");
    if (line == NULL) return -1;
    line += strlen("\nSeccomp:");
    while (*line == ' ' || *line == '\t') line++;
    return *line - '0';
}

static long result(long rc) {
    return rc < 0 ? -errno : rc;
}

static long closing(long fd) {
    if (fd < 0) return -errno;
    close((int)fd);
    return 0;
}

long cseccomp_run_probe(enum cseccomp_probe probe) {
    struct timespec ts;
    switch (probe) {
    case CSECCOMP_PROBE_GETPID: return result(syscall(SYS_getpid));
    case CSECCOMP_PROBE_CLOCK_GETTIME: return result(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts));
    case CSECCOMP_PROBE_SOCKET_INET: return closing(syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    case CSECCOMP_PROBE_SOCKET_INET6: return closing(syscall(SYS_socket, AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    case CSECCOMP_PROBE_EPOLL_CREATE: return closing(syscall(SYS_epoll_create1, EPOLL_CLOEXEC));
    case CSECCOMP_PROBE_EXECVE: {
        char *argv[] = { "/bin/true", NULL };
        char *envp[] = { NULL };
        return result(syscall(SYS_execve, "/bin/true", argv, envp));
    }
    case CSECCOMP_PROBE_EXECVEAT: {
        char *argv[] = { "/bin/true", NULL };
        char *envp[] = { NULL };
        return result(syscall(SYS_execveat, AT_FDCWD, "/bin/true", argv, envp, 0));
    }
    case CSECCOMP_PROBE_FORK: {
        long pid = syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
        if (pid == 0) syscall(SYS_exit_group, 0);
        return result(pid);
    }
    case CSECCOMP_PROBE_CLONE3: return result(syscall(SYS_clone3, NULL, 0));
    case CSECCOMP_PROBE_PTRACE: return result(syscall(SYS_ptrace, 0L /* PTRACE_TRACEME */, 0, 0, 0));
    case CSECCOMP_PROBE_OPEN_WRITE:
        return closing(syscall(SYS_openat, AT_FDCWD, "/tmp/portcullis-sandbox-probe", O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    case CSECCOMP_PROBE_OPEN_READ: return closing(syscall(SYS_openat, AT_FDCWD, "/etc/hosts", O_RDONLY | O_CLOEXEC));
    case CSECCOMP_PROBE_SOCKET_PACKET: return closing(syscall(SYS_socket, 17 /* AF_PACKET */, SOCK_RAW | SOCK_CLOEXEC, 0));
    case CSECCOMP_PROBE_SOCKET_NETLINK: return closing(syscall(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0));
    case CSECCOMP_PROBE_BIND: {
        // The socket call is allowed; the bind is the probe.
        int fd = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return -errno;
        struct sockaddr_in any;
        memset(&any, 0, sizeof any);
        any.sin_family = AF_INET;
        long rc = result(syscall(SYS_bind, fd, &any, sizeof any));
        close(fd);
        return rc;
    }
    case CSECCOMP_PROBE_LISTEN: {
        int fd = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return -errno;
        long rc = result(syscall(SYS_listen, fd, 1));
        close(fd);
        return rc;
    }
    case CSECCOMP_PROBE_MOUNT: return result(syscall(SYS_mount, "none", "/nonexistent", "tmpfs", 0, NULL));
    case CSECCOMP_PROBE_BPF: return result(syscall(SYS_bpf, -1, NULL, 0));
    case CSECCOMP_PROBE_PERF_EVENT_OPEN: return result(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
    case CSECCOMP_PROBE_KEXEC_LOAD: return result(syscall(SYS_kexec_load, 0, 0, NULL, 0));
    case CSECCOMP_PROBE_EXECVE_MISSING: {
        char *argv[] = { "/nonexistent/portcullis-sandbox-test", NULL };
        char *envp[] = { NULL };
        return result(syscall(SYS_execve, argv[0], argv, envp));
    }
    }
    return -EINVAL;
}
