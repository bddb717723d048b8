#ifndef SHOAL_SYSTEM_H
#define SHOAL_SYSTEM_H

#include <sys/types.h>

/* Sets RLIMIT_DATA of another process (prlimit(2) is a GNU extension Swift cannot see).
   Returns 0 or -1 with errno set. */
int shoal_set_data_limit(pid_t pid, unsigned long long bytes);

#endif
