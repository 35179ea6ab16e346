#define _GNU_SOURCE
#include "CSystemShims.h"
#include <pthread.h>

int portcullis_set_thread_name(const char *name) {
    char truncated[16];
    size_t i = 0;
    for (; i < 15 && name[i] != '\0'; i++) truncated[i] = name[i];
    truncated[i] = '\0';
    return pthread_setname_np(pthread_self(), truncated);
}

int portcullis_get_thread_name(char *buf, size_t size) {
    return pthread_getname_np(pthread_self(), buf, size);
}

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <errno.h>

/// Blocks SIGINT, SIGTERM, SIGHUP (and SIGCHLD when asked) and returns a signalfd for them.
static int signalfd_blocking(int with_children) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    if (with_children) sigaddset(&set, SIGCHLD);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int portcullis_signalfd_for_shutdown(void) {
    return signalfd_blocking(0);
}

int portcullis_signalfd_with_children(void) {
    return signalfd_blocking(1);
}

int portcullis_read_signal(int fd) {
    struct signalfd_siginfo info;
    ssize_t n;
    do { n = read(fd, &info, sizeof info); } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof info) return (int)info.ssi_signo;
    if (n < 0 && errno == EAGAIN) return 0;
    return -1;
}

#include <sys/epoll.h>
#include <sys/eventfd.h>

int portcullis_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int portcullis_epoll_add(int epfd, int fd, uint32_t events, uint64_t token) {
    struct epoll_event event = { .events = events, .data = { .u64 = token } };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

int portcullis_epoll_modify(int epfd, int fd, uint32_t events, uint64_t token) {
    struct epoll_event event = { .events = events, .data = { .u64 = token } };
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &event);
}

int portcullis_epoll_delete(int epfd, int fd) {
    struct epoll_event unused = { 0 };
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &unused);
}

int portcullis_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int capacity, int timeout_ms) {
    struct epoll_event ready[512];
    if (capacity > 512) capacity = 512;
    int n = epoll_wait(epfd, ready, capacity, timeout_ms);
    for (int i = 0; i < n; i++) {
        tokens[i] = ready[i].data.u64;
        events[i] = ready[i].events;
    }
    return n;
}

int portcullis_eventfd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

#include <malloc.h>

int portcullis_malloc_trim(void) {
    return malloc_trim(0);
}

#include <sys/mman.h>

void *portcullis_map_shared(size_t bytes) {
    void *address = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return address == MAP_FAILED ? NULL : address;
}

void portcullis_unmap(void *address, size_t bytes) {
    munmap(address, bytes);
}

int portcullis_accept_nonblocking(int fd, struct sockaddr *address, socklen_t *length) {
    return accept4(fd, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

size_t portcullis_robust_mutex_size(void) {
    return sizeof(pthread_mutex_t);
}

int portcullis_robust_mutex_init(void *mutex) {
    pthread_mutexattr_t attributes;
    int rc = pthread_mutexattr_init(&attributes);
    if (rc != 0) return rc;
    rc = pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
    if (rc == 0) rc = pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
    if (rc == 0) rc = pthread_mutex_init((pthread_mutex_t *)mutex, &attributes);
    pthread_mutexattr_destroy(&attributes);
    return rc;
}

int portcullis_robust_mutex_lock(void *mutex) {
    return pthread_mutex_lock((pthread_mutex_t *)mutex);
}

int portcullis_robust_mutex_trylock(void *mutex) {
    return pthread_mutex_trylock((pthread_mutex_t *)mutex);
}

int portcullis_robust_mutex_consistent(void *mutex) {
    return pthread_mutex_consistent((pthread_mutex_t *)mutex);
}

int portcullis_robust_mutex_unlock(void *mutex) {
    return pthread_mutex_unlock((pthread_mutex_t *)mutex);
}

int portcullis_robust_mutex_destroy(void *mutex) {
    return pthread_mutex_destroy((pthread_mutex_t *)mutex);
}
