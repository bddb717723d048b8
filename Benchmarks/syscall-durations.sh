#!/usr/bin/env bash
# How long each thread's read, write and writev system calls take inside the kernel, from the
# syscall tracepoints (enter to exit; perf's timestamps have microsecond resolution here), as
# p50 and p90 per thread. Unlike strace, tracepoints barely slow the traced process.
#
#   Benchmarks/syscall-durations.sh PID [SECONDS, default 2]
#
# For the invoke path: start `shoal-bench gateway --invocations 100000 --repeats 1 --callers 1`,
# wait for its gateway phase (about 20 s), then pass the gateway's or the worker's pid (the
# bench prints both). For the floor: /tmp/relay-floor 400000 and a relay's pid during its
# relayed phase (Benchmarks/relay-floor.c). Needs root and perf.
set -euo pipefail
pid=$1
seconds=${2:-2}
data=$(mktemp)
trap 'rm -f "$data"' EXIT
events=syscalls:sys_enter_write,syscalls:sys_exit_write,syscalls:sys_enter_writev,syscalls:sys_exit_writev,syscalls:sys_enter_read,syscalls:sys_exit_read
perf record -q -e "$events" -p "$pid" -o "$data" -- sleep "$seconds" > /dev/null 2>&1
perf script -i "$data" -F tid,time,event 2> /dev/null | python3 -c '
import collections, statistics, sys
started, spans = {}, collections.defaultdict(list)
for line in sys.stdin:
    fields = line.split()
    if len(fields) < 3:
        continue
    tid, at, event = fields[0], float(fields[1].rstrip(":")), fields[2].rstrip(":").split(":")[1]
    call = event.split("_", 2)[2]
    if event.startswith("sys_enter"):
        started[(tid, call)] = at
    elif (tid, call) in started:
        spans[(tid, call)].append((at - started.pop((tid, call))) * 1e6)
for (tid, call), values in sorted(spans.items()):
    if len(values) > 100:
        values.sort()
        print(f"thread {tid} {call}: {len(values)} calls, p50 {statistics.median(values):.1f} us, p90 {values[len(values) * 9 // 10]:.1f} us")
'
