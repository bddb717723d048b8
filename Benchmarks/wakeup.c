// What one thread wake-up costs on this machine: two threads hand a token back and forth
// through eventfds, each blocking in read() until the other writes (what an event loop does
// when work arrives from another thread). Prints the round trip (two wake-ups) in wall time
// and in process CPU time. The README's Performance section quotes it to explain why Shoal
// avoids thread hand-offs on the invoke path.
//
//   cc -O2 -pthread Benchmarks/wakeup.c -o /tmp/wakeup && /tmp/wakeup
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static int ping, pong;

static double nanoseconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void *responder(void *unused) {
    (void)unused;
    uint64_t token;
    for (;;) {
        if (read(ping, &token, sizeof token) != sizeof token) return NULL;
        if (write(pong, &token, sizeof token) != sizeof token) return NULL;
    }
}

int main(void) {
    const int rounds = 20000;
    ping = eventfd(0, 0);
    pong = eventfd(0, 0);
    pthread_t thread;
    pthread_create(&thread, NULL, responder, NULL);
    uint64_t token = 1;
    double wall = nanoseconds(CLOCK_MONOTONIC), cpu = nanoseconds(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < rounds; i++) {
        if (write(ping, &token, sizeof token) != sizeof token) return 1;
        if (read(pong, &token, sizeof token) != sizeof token) return 1;
    }
    wall = nanoseconds(CLOCK_MONOTONIC) - wall;
    cpu = nanoseconds(CLOCK_PROCESS_CPUTIME_ID) - cpu;
    printf("thread round trip (two wake-ups): %.1f us wall, %.1f us CPU\n", wall / rounds / 1000, cpu / rounds / 1000);
    return 0;
}
