#define _GNU_SOURCE
#include <stddef.h>
#include <fcntl.h>
#include <unistd.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <string.h>
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

int shoal_unix_send_with_fds(const char *path, const void *data, size_t length, const int *fds, int count) {
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(address.sun_path) || count < 0 || count > 16) { errno = EINVAL; return -1; }
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) { int saved = errno; close(fd); errno = saved; return -1; }
    char control[CMSG_SPACE(sizeof(int) * 16)];
    memset(control, 0, sizeof(control));
    struct iovec vector = { .iov_base = (void *)data, .iov_len = length };
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1 };
    if (count > 0) {
        message.msg_control = control;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * count);
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * count);
        memcpy(CMSG_DATA(header), fds, sizeof(int) * count);
    }
    ssize_t sent = sendmsg(fd, &message, MSG_NOSIGNAL);
    if (sent != (ssize_t)length) { int saved = sent < 0 ? errno : EAGAIN; close(fd); errno = saved; return -1; }
    return fd;
}
