#!/usr/bin/env bash
# Heap allocations per warm invocation in the gateway and in the worker's event loops, counted
# exactly (a uprobe on libc's malloc), during the gateway phase of `shoal bench gateway`.
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
libc=$(ldd "$shoal" | awk '/libc.so.6/ {print $3}')
perf probe -q -x "$libc" malloc
trap 'perf probe -q -d probe_libc:malloc || true' EXIT

"$shoal" bench gateway --invocations 200000 --callers "$callers" > /dev/null 2>&1 &
bench=$!
stop() { for pid in $(pgrep -P "$bench" || true) "$bench"; do kill "$pid" 2> /dev/null || true; done; wait "$bench" 2> /dev/null || true; }
trap 'stop; perf probe -q -d probe_libc:malloc || true' EXIT

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
before=$(invocations)
perf stat -x, -e probe_libc:malloc -p "$gateway" -o /tmp/shoal-mallocs-gateway -- sleep 3 &
counting=$!
perf stat -x, -e probe_libc:malloc -t "$loops" -o /tmp/shoal-mallocs-worker -- sleep 3
wait "$counting"
calls=$(( $(invocations) - before ))
count() { awk -F, '/probe_libc:malloc/ {print $1}' "$1"; }
per() { awk -v n="$1" -v calls="$calls" 'BEGIN {printf "%.1f", n / calls}'; }
echo "$callers caller(s), $calls invocations: gateway $(per "$(count /tmp/shoal-mallocs-gateway)"), worker event loops $(per "$(count /tmp/shoal-mallocs-worker)") mallocs per invocation"
