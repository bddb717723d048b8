#!/usr/bin/env bash
# Heap allocations per warm invocation in the gateway and in the worker's event loops, counted
# exactly (a uprobe on the malloc the binary uses: mimalloc's, or libc's in a build without
# it), during the gateway phase of `shoal-bench gateway`.
# Unlike CPU time, the count does not move with the machine's load, so it shows what a change
# to the invoke path saved even when timing runs are too noisy to.
#
#   swift build -c release && Benchmarks/mallocs-per-invoke.sh [callers, default 16]
#
# Needs root and perf with uprobe support (Debian: linux-perf). Stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
callers=${1:-16}
shoal=.build/release/shoal
library=$(ldd "$shoal" | awk '/libmimalloc/ {print $3}')
[ -n "$library" ] || library=$(ldd "$shoal" | awk '/libc.so.6/ {print $3}')
# perf names the probe's group after the library's file name up to its first dot.
event="probe_$(basename "$library" | cut -d. -f1):malloc"
perf probe -q -x "$library" malloc
trap 'perf probe -q -d "$event" || true' EXIT

.build/release/shoal-bench gateway --invocations 200000 --callers "$callers" > /dev/null 2>&1 &
bench=$!
stop() { for pid in $(pgrep -P "$bench" || true) "$bench"; do kill "$pid" 2> /dev/null || true; done; wait "$bench" 2> /dev/null || true; }
trap 'stop; perf probe -q -d "$event" || true' EXIT

# The bench's child whose subcommand (second argument) is $1.
child() { for pid in $(pgrep -P "$bench" || true); do [ "$(tr '\0' ' ' < "/proc/$pid/cmdline" | awk '{print $2}')" = "$1" ] && echo "$pid"; done; true; }
until [ -n "$(child gateway)" ] && [ -n "$(child worker)" ]; do sleep 0.2; done
gateway=$(child gateway); worker=$(child worker)
metrics=""
until [ -n "$metrics" ]; do
    for address in $(ss -ltnpH | grep "pid=$gateway," | awk '{print $4}'); do
        curl -sf -m 1 "http://$address/metrics" | grep -q shoal_invocations && metrics="http://$address/metrics"
    done
    sleep 0.2
done
invocations() { curl -s "$metrics" | awk '/^shoal_invocations_total/ {sum += $2} END {print sum + 0}'; }
# A short warm-up through the gateway, then the direct phase, then the gateway phase: wait
# for two busy seconds in a row (the warm-up lasts a fraction of one).
while :; do
    first=$(invocations); sleep 1; second=$(invocations); sleep 1; third=$(invocations)
    [ $(( second - first )) -gt 500 ] && [ $(( third - second )) -gt 500 ] && break
done

loops=$(for task in /proc/"$worker"/task/*; do if grep -q NIO-SGLTN "$task/comm"; then basename "$task"; fi; done | paste -sd,)
# Each count divides by the invocations made while its own perf was counting: the command
# perf runs reads the gateway's counter at its start and end (a probe makes perf slow to
# attach, so counting around perf from outside would take in calls it did not count).
export metrics
export -f invocations
window='before=$(invocations); sleep 3; echo $(( $(invocations) - before )) > "$0"'
perf stat -x, -e "$event" -p "$gateway" -o /tmp/shoal-mallocs-gateway -- bash -c "$window" /tmp/shoal-calls-gateway &
counting=$!
perf stat -x, -e "$event" -t "$loops" -o /tmp/shoal-mallocs-worker -- bash -c "$window" /tmp/shoal-calls-worker
wait "$counting"
count() { awk -F, -v event="$event" '$3 == event {print $1}' "$1"; }
per() { awk -v n="$(count "/tmp/shoal-mallocs-$1")" -v calls="$(cat "/tmp/shoal-calls-$1")" 'BEGIN {printf "%.1f", n / calls}'; }
echo "$callers caller(s), $(cat /tmp/shoal-calls-gateway) invocations: gateway $(per gateway), worker event loops $(per worker) mallocs per invocation"
