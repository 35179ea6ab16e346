// faulty_io: an LD_PRELOAD shim that makes socket I/O misbehave the way the kernel may, so the
// integration tests can prove the proxy copes (Tests/IntegrationTests/FaultyIOTests.swift).
// The test compiles it at run time: cc -shared -fPIC -O1 -o libfaultyio.so faulty_io.c -ldl
//
// Interposes read, recv, write, send, writev and sendmsg. On a socket descriptor (getsockopt
// SO_TYPE succeeds; files, pipes and the terminal, so the proxy's stderr log, are never
// touched) each call, with
// probability FAULTY_IO_RATE, fails without doing anything with EINTR, or with EAGAIN (only
// on a non-blocking descriptor, where the kernel could say so), or is shortened to a random
// count of at least one byte. Otherwise the real call runs unchanged.
//
// Environment:
//   FAULTY_IO_SEED  decimal seed (default 1). The n-th intercepted socket call of the process
//                   draws from splitmix64(seed + n), so a single-threaded run is reproducible;
//                   with threads the order of calls varies but the fault density does not.
//   FAULTY_IO_RATE  probability of a fault per call, 0.0 to 1.0 (default 0.3).
//   FAULTY_IO_LOG   if set, a count of injected faults is written to this file at exit. The
//                   counts live in a MAP_SHARED mapping, so processes forked later (the fork
//                   model's children, which leave with _exit) count into the parent's report.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

typedef ssize_t (*read_fn)(int, void *, size_t);
typedef ssize_t (*recv_fn)(int, void *, size_t, int);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*send_fn)(int, const void *, size_t, int);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);

static read_fn real_read;
static recv_fn real_recv;
static write_fn real_write;
static send_fn real_send;
static writev_fn real_writev;
static sendmsg_fn real_sendmsg;

static uint64_t seed = 1;
static uint32_t threshold; // fault when the draw's low 32 bits are below this
struct counts {
    _Atomic uint64_t calls;
    _Atomic uint64_t faults[3]; // EINTR, EAGAIN, short
};
static struct counts private_counts;
static struct counts *counts = &private_counts;

static void resolve(void) {
    if (real_read) return;
    real_recv = (recv_fn)dlsym(RTLD_NEXT, "recv");
    real_write = (write_fn)dlsym(RTLD_NEXT, "write");
    real_send = (send_fn)dlsym(RTLD_NEXT, "send");
    real_writev = (writev_fn)dlsym(RTLD_NEXT, "writev");
    real_sendmsg = (sendmsg_fn)dlsym(RTLD_NEXT, "sendmsg");
    real_read = (read_fn)dlsym(RTLD_NEXT, "read");
}

// The report's file is opened at start-up, not at exit: by then the proxy's threads run under
// seccomp filters that allow no open (the sandbox issue). Written with plain write(2).
static int report_fd = -1;

static void report(void) {
    if (report_fd < 0) return;
    char line[160];
    int n = snprintf(line, sizeof line, "calls=%llu eintr=%llu eagain=%llu short=%llu\n", (unsigned long long)counts->calls,
                     (unsigned long long)counts->faults[0], (unsigned long long)counts->faults[1],
                     (unsigned long long)counts->faults[2]);
    if (n > 0) {
        ssize_t unused = real_write(report_fd, line, (size_t)n);
        (void)unused;
    }
}

__attribute__((constructor)) static void setup(void) {
    resolve();
    const char *s = getenv("FAULTY_IO_SEED");
    if (s) seed = strtoull(s, NULL, 10);
    const char *r = getenv("FAULTY_IO_RATE");
    double rate = r ? strtod(r, NULL) : 0.3;
    if (rate < 0) rate = 0;
    if (rate > 1) rate = 1;
    threshold = (uint32_t)(rate * 4294967295.0);
    void *shared = mmap(NULL, sizeof(struct counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared != MAP_FAILED) counts = shared;
    const char *path = getenv("FAULTY_IO_LOG");
    if (path) report_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    atexit(report);
}

static uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// getsockopt(SO_TYPE) succeeds on sockets only, and is a call the proxy's sandbox policies
// allow anyway (fstat is not).
static int is_socket(int fd) {
    int type = 0;
    socklen_t length = sizeof type;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0;
}

static int is_nonblocking(int fd, int flags) {
    if (flags & MSG_DONTWAIT) return 1;
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && (fl & O_NONBLOCK);
}

enum fault { NONE, FAIL, SHORTEN };

// Decides the fate of one call. On FAIL errno is set; on SHORTEN *len is reduced (to >= 1).
static enum fault decide(int fd, int flags, size_t *len) {
    if (!is_socket(fd)) return NONE;
    uint64_t draw = splitmix64(seed + atomic_fetch_add(&counts->calls, 1));
    if ((uint32_t)draw >= threshold) return NONE;
    unsigned kind = (unsigned)(draw >> 32) % 3;
    if (kind == 1 && !is_nonblocking(fd, flags)) kind = 0;
    if (kind == 2 && *len < 2) kind = 0;
    switch (kind) {
    case 0:
        atomic_fetch_add(&counts->faults[0], 1);
        errno = EINTR;
        return FAIL;
    case 1:
        atomic_fetch_add(&counts->faults[1], 1);
        errno = EAGAIN;
        return FAIL;
    default:
        atomic_fetch_add(&counts->faults[2], 1);
        *len = 1 + (size_t)((draw >> 40) % (*len - 1));
        return SHORTEN;
    }
}

// A shortened gathering write: the first vectors of `iov` holding `allowed` bytes in all, the
// last one cut (at most 64 vectors). Returns how many were copied into `cut`.
static size_t cut_vectors(const struct iovec *iov, size_t count, size_t allowed, struct iovec *cut) {
    size_t n = 0;
    for (size_t i = 0; i < count && n < 64 && allowed > 0; i++) {
        cut[n] = iov[i];
        if (cut[n].iov_len > allowed) cut[n].iov_len = allowed;
        allowed -= cut[n].iov_len;
        n++;
    }
    return n;
}

ssize_t read(int fd, void *buf, size_t count) {
    resolve();
    if (decide(fd, 0, &count) == FAIL) return -1;
    return real_read(fd, buf, count);
}

ssize_t recv(int fd, void *buf, size_t count, int flags) {
    resolve();
    if (decide(fd, flags, &count) == FAIL) return -1;
    return real_recv(fd, buf, count, flags);
}

ssize_t write(int fd, const void *buf, size_t count) {
    resolve();
    if (decide(fd, 0, &count) == FAIL) return -1;
    return real_write(fd, buf, count);
}

ssize_t send(int fd, const void *buf, size_t count, int flags) {
    resolve();
    if (decide(fd, flags, &count) == FAIL) return -1;
    return real_send(fd, buf, count, flags);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
    resolve();
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) total += iov[i].iov_len;
    size_t allowed = total;
    enum fault f = decide(fd, 0, &allowed);
    if (f == FAIL) return -1;
    if (f == NONE || iovcnt <= 0) return real_writev(fd, iov, iovcnt);
    struct iovec cut[64];
    return real_writev(fd, cut, (int)cut_vectors(iov, (size_t)iovcnt, allowed, cut));
}

// sendmsg: the drivers' gathering send (a head and a body in one call). Faulted like writev.
ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
    resolve();
    size_t total = 0;
    for (size_t i = 0; i < msg->msg_iovlen; i++) total += msg->msg_iov[i].iov_len;
    size_t allowed = total;
    enum fault f = decide(fd, flags, &allowed);
    if (f == FAIL) return -1;
    if (f == NONE || msg->msg_iovlen == 0) return real_sendmsg(fd, msg, flags);
    struct iovec cut[64];
    struct msghdr shortened = *msg;
    shortened.msg_iov = cut;
    shortened.msg_iovlen = cut_vectors(msg->msg_iov, msg->msg_iovlen, allowed, cut);
    return real_sendmsg(fd, &shortened, flags);
}
