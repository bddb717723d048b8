#define _GNU_SOURCE
#include <stddef.h>
#include <fcntl.h>
#include <unistd.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include "shoal_system.h"

int shoal_set_data_limit(pid_t pid, unsigned long long bytes) {
    struct rlimit limit = { .rlim_cur = bytes, .rlim_max = bytes };
    return prlimit(pid, RLIMIT_DATA, &limit, NULL);
}

int shoal_pending_bytes(int fd) {
    int count = 0;
    return ioctl(fd, FIONREAD, &count) == 0 ? count : -1;
}

int shoal_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int shoal_dup_cloexec(int fd) {
    return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

int shoal_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, name, 0, 0, 0);
}

pid_t shoal_thread_id(void) {
    return gettid();
}

int shoal_set_thread_scheduling(pid_t tid, int batch) {
    struct sched_param parameters = { .sched_priority = 0 };
    return sched_setscheduler(tid, batch ? SCHED_BATCH : SCHED_OTHER, &parameters);
}

extern void *swift_task_enqueueGlobal_hook;

void **shoal_enqueue_global_hook(void) {
    return &swift_task_enqueueGlobal_hook;
}
