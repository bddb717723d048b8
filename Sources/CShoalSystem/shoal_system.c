#define _GNU_SOURCE
#include <stddef.h>
#include <sys/resource.h>
#include "shoal_system.h"

int shoal_set_data_limit(pid_t pid, unsigned long long bytes) {
    struct rlimit limit = { .rlim_cur = bytes, .rlim_max = bytes };
    return prlimit(pid, RLIMIT_DATA, &limit, NULL);
}
