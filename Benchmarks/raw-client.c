// A client with no work of its own, to time Shoal's servers without the Swift client's cost:
// it sends one fixed request over one loopback connection, waits for the whole answer, and
// repeats, then prints the p50 and p99 of the round trips. Two framings: a length-prefixed
// JSON-RPC frame (the gateway's and the worker's), or an HTTP/1.1 POST (an instance's invoke
// endpoint). `Benchmarks/raw-client.sh` runs it against a gateway, a worker and an instance.
//
//   cc -O2 Benchmarks/raw-client.c -o /tmp/raw-client
//   /tmp/raw-client PORT COUNT rpc|http BODY [FIRST]
//
// FIRST, with rpc, is a request sent once before the timed ones (a worker wants
// `worker.hello` first). The first answer is printed to stderr, so a wrong request shows.
// Traffic stays on 127.0.0.1.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { BUFFER = 65536 };

static void die(const char *what) {
    perror(what);
    exit(1);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int ascending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void readExactly(int fd, char *buffer, size_t count) {
    for (size_t got = 0; got < count;) {
        ssize_t n = read(fd, buffer + got, count - got);
        if (n <= 0) die("read");
        got += n;
    }
}

static void writeAll(int fd, const char *bytes, size_t count) {
    if (write(fd, bytes, count) != (ssize_t)count) die("write");
}

/// A frame: the 4-byte big-endian length, then the body.
static size_t frame(char *out, const char *body) {
    size_t length = strlen(body);
    if (length + 4 > BUFFER) die("body too long");
    out[0] = length >> 24, out[1] = length >> 16, out[2] = length >> 8, out[3] = length;
    memcpy(out + 4, body, length);
    return length + 4;
}

/// Reads one frame's body into `buffer` (NUL-terminated); returns its length.
static size_t readFrame(int fd, char *buffer) {
    unsigned char header[4];
    readExactly(fd, (char *)header, 4);
    size_t length = (size_t)header[0] << 24 | header[1] << 16 | header[2] << 8 | header[3];
    if (length >= BUFFER) die("answer too long");
    readExactly(fd, buffer, length);
    buffer[length] = 0;
    return length;
}

/// Reads one HTTP response with a Content-Length (what instances send) into `buffer`.
static void readResponse(int fd, char *buffer) {
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, buffer + got, BUFFER - 1 - got);
        if (n <= 0) die("read");
        got += n;
        buffer[got] = 0;
        char *end = strstr(buffer, "\r\n\r\n");
        if (!end) continue;
        char *length = strcasestr(buffer, "content-length:");
        if (got >= (size_t)(end + 4 - buffer) + (length ? atoi(length + 15) : 0)) return;
    }
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s PORT COUNT rpc|http BODY [FIRST]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]), count = atoi(argv[2]), http = !strcmp(argv[3], "http");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) < 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    static char request[BUFFER], answer[BUFFER];
    size_t length;
    if (http) {
        length = snprintf(request, sizeof request, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n\r\n%s", strlen(argv[4]), argv[4]);
    } else {
        if (argc > 5) {
            writeAll(fd, request, frame(request, argv[5]));
            readFrame(fd, answer);
        }
        length = frame(request, argv[4]);
    }
    double *samples = malloc(count * sizeof *samples);
    // The first pass warms up and is not reported.
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < count; i++) {
            double start = now();
            writeAll(fd, request, length);
            if (http) readResponse(fd, answer); else readFrame(fd, answer);
            samples[i] = now() - start;
            if (pass == 0 && i == 0) fprintf(stderr, "first answer: %.300s\n", answer);
        }
    }
    qsort(samples, count, sizeof *samples, ascending);
    printf("p50 %.1f us, p99 %.1f us\n", samples[count / 2], samples[count * 99 / 100]);
    close(fd);
    return 0;
}
