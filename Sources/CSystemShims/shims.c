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

int portcullis_signalfd_for_shutdown(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int portcullis_read_signal(int fd) {
    struct signalfd_siginfo info;
    ssize_t n;
    do { n = read(fd, &info, sizeof info); } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof info) return (int)info.ssi_signo;
    if (n < 0 && errno == EAGAIN) return 0;
    return -1;
}
