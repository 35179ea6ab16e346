#ifndef CSYSTEMSHIMS_H
#define CSYSTEMSHIMS_H
#include <stddef.h>
// C shims for system calls Swift cannot import directly (GNU extensions, variadic prctl).

/// Names the calling thread (at most 15 bytes kept). Returns 0 or an errno.
int portcullis_set_thread_name(const char *name);
/// Copies the calling thread's name into buf (size >= 16). Returns 0 or an errno.
int portcullis_get_thread_name(char *buf, size_t size);

/// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (threads created later inherit the
/// mask) and returns a non-blocking signalfd that reports them, or -1 with errno set.
int portcullis_signalfd_for_shutdown(void);
/// The same, with SIGCHLD added (the fork model's parent reaps its children when it arrives).
int portcullis_signalfd_with_children(void);
/// Reads one pending signal from the signalfd; returns its number, 0 if none, -1 on error.
int portcullis_read_signal(int fd);


#include <stdint.h>

#include <sys/socket.h>

/// accept4(fd, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC) (a GNU extension): the new
/// socket comes non-blocking and close-on-exec in one call. -1 with errno on failure.
int portcullis_accept_nonblocking(int fd, struct sockaddr *address, socklen_t *length);

/// epoll event bits as the event loop uses them (values of <sys/epoll.h>, which Swift cannot
/// import as plain constants).
enum {
    PORTCULLIS_EPOLLIN = 0x001,
    PORTCULLIS_EPOLLOUT = 0x004,
    PORTCULLIS_EPOLLERR = 0x008,
    PORTCULLIS_EPOLLHUP = 0x010,
    PORTCULLIS_EPOLLRDHUP = 0x2000,
    PORTCULLIS_EPOLLEXCLUSIVE = 1u << 28,
    PORTCULLIS_EPOLLET = 1u << 31,
};

/// epoll_create1(EPOLL_CLOEXEC). Returns the descriptor or -1 with errno set.
int portcullis_epoll_create(void);
/// EPOLL_CTL_ADD of fd with `events`, reporting `token` with each event. 0 or -1 with errno.
int portcullis_epoll_add(int epfd, int fd, uint32_t events, uint64_t token);
/// EPOLL_CTL_MOD of fd to `events` and `token`. 0 or -1 with errno.
int portcullis_epoll_modify(int epfd, int fd, uint32_t events, uint64_t token);
/// EPOLL_CTL_DEL of fd. 0 or -1 with errno.
int portcullis_epoll_delete(int epfd, int fd);
/// epoll_wait into two parallel arrays of `capacity` (at most 512) entries: the token and the
/// event bits of each ready registration. Returns the count, or -1 with errno set. The packed
/// `struct epoll_event` never crosses into Swift.
int portcullis_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int capacity, int timeout_ms);
/// A non-blocking, close-on-exec eventfd with counter 0, or -1 with errno set.
int portcullis_eventfd(void);

/// glibc malloc_trim(0): returns free heap pages to the system. Returns 1 if any were.
int portcullis_malloc_trim(void);

/// A zeroed anonymous MAP_SHARED mapping of `bytes`: memory that processes forked later
/// share with this one. NULL (errno set) on failure. Released with portcullis_unmap.
void *portcullis_map_shared(size_t bytes);
void portcullis_unmap(void *address, size_t bytes);

/// Relaxed atomic operations on a counter (in shared memory or not). Inline, so a counter
/// update costs one locked instruction, not a call.
static inline long portcullis_atomic_add(long *counter, long value) {
    return __atomic_fetch_add(counter, value, __ATOMIC_RELAXED);
}
static inline long portcullis_atomic_load(const long *counter) {
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}
static inline void portcullis_atomic_store(long *counter, long value) {
    __atomic_store_n(counter, value, __ATOMIC_RELAXED);
}

/// Process-shared robust mutexes placed in shared memory (the cache store's lock). `mutex`
/// points to at least portcullis_robust_mutex_size() bytes, aligned to 16.
size_t portcullis_robust_mutex_size(void);
/// Initializes a mutex that is process-shared (PTHREAD_PROCESS_SHARED) and robust
/// (PTHREAD_MUTEX_ROBUST). Returns 0 or an errno.
int portcullis_robust_mutex_init(void *mutex);
/// pthread_mutex_lock: 0, EOWNERDEAD (locked; the previous owner died holding it, call
/// portcullis_robust_mutex_consistent before unlocking) or another errno (not locked).
int portcullis_robust_mutex_lock(void *mutex);
/// pthread_mutex_trylock: 0, EBUSY, EOWNERDEAD or another errno.
int portcullis_robust_mutex_trylock(void *mutex);
/// pthread_mutex_consistent, after EOWNERDEAD. Returns 0 or an errno.
int portcullis_robust_mutex_consistent(void *mutex);
int portcullis_robust_mutex_unlock(void *mutex);
int portcullis_robust_mutex_destroy(void *mutex);

/// Relaxed atomic operations on a 64-bit word in shared memory.
static inline uint64_t portcullis_atomic_load_u64(const uint64_t *word) {
    return __atomic_load_n(word, __ATOMIC_RELAXED);
}
static inline void portcullis_atomic_store_u64(uint64_t *word, uint64_t value) {
    __atomic_store_n(word, value, __ATOMIC_RELAXED);
}

#endif
