#!/usr/bin/env bash
# What an instruction fetch from a page outside the TLB's reach costs on this machine: calls N
# one-instruction functions, each on its own 4 KiB page (at a different offset in each, so
# they do not crowd one cache set), over and over in one process, and prints the time per
# call. Flat up to the TLB's reach, then a page walk per call: docs/performance-log.md
# (ninth round) uses it to explain why a warm invoke that runs through hundreds of
# code pages costs more at one caller, where each leg starts after other processes ran.
#
#   bash Benchmarks/code-pages.sh            # N = 64, 256, 1024, 2048
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/pages.s" <<'PY'
import sys
count = 2048
with open(sys.argv[1], "w") as out:
    out.write(".text\n")
    for i in range(count):
        skip = (i % 64) * 64
        out.write(f".p2align 12\n" + (f".skip {skip}\n" if skip else "") + f"page{i}:\n  lea {i + 1}(%rdi), %rax\n  ret\n")
    out.write('.section .data.rel.ro,"aw"\n.globl pages\n.p2align 3\npages:\n')
    out.write("".join(f"  .quad page{i}\n" for i in range(count)))
    out.write('.section .note.GNU-stack,"",@progbits\n')
PY
cat > "$work/main.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
typedef unsigned long (*page)(unsigned long);
extern page pages[];
static double nanoseconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}
int main(int argc, char **argv) {
    int count = atoi(argv[1]);
    unsigned long sink = 0;
    for (int round = 0; round < 100; round++) for (int i = 0; i < count; i++) sink = pages[i](sink);
    double start = nanoseconds();
    for (int round = 0; round < 2000; round++) for (int i = 0; i < count; i++) sink = pages[i](sink);
    printf("%5d code pages: %.1f ns per call (%lu)\n", count, (nanoseconds() - start) / 2000 / count, sink & 1);
    return 0;
}
C
cc -O2 -o "$work/code-pages" "$work/main.c" "$work/pages.s"
for count in ${@:-64 256 1024 2048}; do "$work/code-pages" "$count"; done
