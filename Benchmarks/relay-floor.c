// The floor under Shoal's added latency on this machine: what two extra processes on the
// path cost when they do nothing but pass bytes on. A client sends 64-byte messages to an
// echo process, one at a time, first directly, then through two relay processes (the shape
// of client -> gateway -> worker -> instance). Each relay waits in epoll_wait and copies
// what it reads to the other side, as an event loop would, with no parsing at all. Prints
// p50/p99 of both paths, the added p50, and the relays' CPU per round trip: no gateway and
// worker can do better than these on the same machine.
//
//   cc -O2 Benchmarks/relay-floor.c -o /tmp/relay-floor && /tmp/relay-floor 20000
//
// Traffic stays on 127.0.0.1; every process it forks is killed and reaped by pid.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MESSAGE = 64 };

static void die(const char *what) {
    perror(what);
    exit(1);
}

static int listener(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) < 0 || listen(fd, 8) < 0) die("listen");
    socklen_t length = sizeof address;
    getsockname(fd, (struct sockaddr *)&address, &length);
    *port = ntohs(address.sin_port);
    return fd;
}

static int connected(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) < 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int accepted(int listening) {
    int fd = accept(listening, NULL, NULL);
    if (fd < 0) die("accept");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    close(listening);
    return fd;
}

/// Echoes whatever arrives, as the instance does.
static void echo(int listening) {
    int fd = accepted(listening);
    char buffer[4096];
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n <= 0) _exit(0);
        if (write(fd, buffer, n) != n) _exit(1);
    }
}

/// Copies bytes both ways between its accepted client and its downstream, driven by epoll.
static void relay(int listening, int downstreamPort) {
    int upstream = accepted(listening);
    int downstream = connected(downstreamPort);
    int poller = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN, .data.fd = upstream};
    epoll_ctl(poller, EPOLL_CTL_ADD, upstream, &event);
    event.data.fd = downstream;
    epoll_ctl(poller, EPOLL_CTL_ADD, downstream, &event);
    char buffer[4096];
    for (;;) {
        struct epoll_event ready[2];
        int count = epoll_wait(poller, ready, 2, -1);
        for (int i = 0; i < count; i++) {
            int from = ready[i].data.fd;
            ssize_t n = read(from, buffer, sizeof buffer);
            if (n <= 0) _exit(0);
            if (write(from == upstream ? downstream : upstream, buffer, n) != n) _exit(1);
        }
    }
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/// utime + stime of a process, in microseconds.
static double cpu(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *file = fopen(path, "r");
    if (!file) die("stat");
    unsigned long user = 0, system = 0;
    if (fscanf(file, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &user, &system) != 2) die("stat");
    fclose(file);
    return (user + system) * 1e6 / sysconf(_SC_CLK_TCK);
}

static int ascending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/// Round trips over `fd`; fills `samples` with each one's microseconds, sorted.
static void measure(int fd, int count, double *samples) {
    char message[MESSAGE] = {0}, answer[MESSAGE];
    for (int i = 0; i < count; i++) {
        double start = now();
        if (write(fd, message, MESSAGE) != MESSAGE) die("write");
        for (ssize_t got = 0; got < MESSAGE;) {
            ssize_t n = read(fd, answer + got, MESSAGE - got);
            if (n <= 0) die("read");
            got += n;
        }
        samples[i] = now() - start;
    }
    qsort(samples, count, sizeof *samples, ascending);
}

static pid_t spawn(void (*body)(int, int), int listening, int downstream) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        body(listening, downstream);
        _exit(0);
    }
    close(listening);
    return pid;
}

static void echoBody(int listening, int unused) {
    (void)unused;
    echo(listening);
}

int main(int argc, char **argv) {
    int count = argc > 1 ? atoi(argv[1]) : 20000;
    double *direct = malloc(count * sizeof *direct), *relayed = malloc(count * sizeof *relayed);

    int echoPort, directEchoPort, workerPort, gatewayPort;
    pid_t directEcho = spawn(echoBody, listener(&directEchoPort), 0);
    pid_t instance = spawn(echoBody, listener(&echoPort), 0);
    pid_t worker = spawn(relay, listener(&workerPort), echoPort);
    pid_t gateway = spawn(relay, listener(&gatewayPort), workerPort);

    int directFd = connected(directEchoPort), relayedFd = connected(gatewayPort);
    measure(directFd, count / 10, direct); // warm-up
    measure(relayedFd, count / 10, relayed);
    measure(directFd, count, direct);
    double before = cpu(gateway) + cpu(worker);
    measure(relayedFd, count, relayed);
    double relaysCPU = (cpu(gateway) + cpu(worker) - before) / count;

    printf("direct  p50 %.1f us, p99 %.1f us\n", direct[count / 2], direct[count * 99 / 100]);
    printf("relayed p50 %.1f us, p99 %.1f us (two relay processes)\n", relayed[count / 2], relayed[count * 99 / 100]);
    printf("added p50 %.1f us; relays' CPU %.1f us per round trip\n", relayed[count / 2] - direct[count / 2], relaysCPU);

    close(directFd);
    close(relayedFd);
    pid_t children[] = {directEcho, instance, worker, gateway};
    for (int i = 0; i < 4; i++) {
        kill(children[i], SIGTERM);
        waitpid(children[i], NULL, 0);
    }
    return 0;
}
