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
/// Reads one pending signal from the signalfd; returns its number, 0 if none, -1 on error.
int portcullis_read_signal(int fd);

#endif
