#ifndef SHOAL_SYSTEM_H
#define SHOAL_SYSTEM_H

#include <sys/types.h>

/* Sets RLIMIT_DATA of another process (prlimit(2) is a GNU extension Swift cannot see).
   Returns 0 or -1 with errno set. */
int shoal_set_data_limit(pid_t pid, unsigned long long bytes);

/* Bytes waiting to be read on a pipe or socket (FIONREAD; ioctl is variadic). -1 on error. */
int shoal_pending_bytes(int fd);

/* pipe2(fds, O_CLOEXEC) and fcntl(fd, F_DUPFD_CLOEXEC, 0), which Swift cannot call directly. */
int shoal_pipe_cloexec(int fds[2]);
int shoal_dup_cloexec(int fd);

/* Names the calling thread (at most 15 bytes show; prctl is variadic). 0 or -1. */
int shoal_set_thread_name(const char *name);

/* The calling thread's kernel id (gettid). */
pid_t shoal_thread_id(void);

/* Puts thread `tid` of this process (0: the calling thread) under SCHED_BATCH (batch != 0)
   or SCHED_OTHER; needs no privilege. Threads and processes it starts inherit the policy
   (SCHED_RESET_ON_FORK would not reset SCHED_BATCH). 0, or -1 with errno set. */
int shoal_set_thread_scheduling(pid_t tid, int batch);

/* The Swift runtime's global-executor hook, by reference: found by the linker, so it is there
   whether the Swift runtime is a shared library or linked in (--static-swift-stdlib), where
   dlsym cannot see it. */
void **shoal_enqueue_global_hook(void);

/// Connects a non-blocking unix stream socket to `path` and sends `length` bytes of `data`
/// with `count` descriptors as SCM_RIGHTS, all at once (a fork server's request). Returns the
/// connected socket (close-on-exec), or -1 with errno set: a listener that is gone, full
/// or slow fails at once instead of blocking the caller.
int shoal_unix_send_with_fds(const char *path, const void *data, size_t length, const int *fds, int count);

#endif
