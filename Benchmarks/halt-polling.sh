#!/usr/bin/env bash
# Runs a command with the guest kernel's halt polling at a given value, then puts the
# machine's own value back, so a benchmark can be read against how the VM idles.
#
# On a KVM-style guest whose cpuidle driver is `haltpoll`, an idle vCPU polls for up to
# `guest_halt_poll_ns` before it halts. Linux ships 200000 (200 µs). A VM that sets 0 halts at
# once, so every wake-up of a thread on the other vCPU is an exit to the host and back, and
# the work that follows runs on cold caches: on 2026-12-03 Benchmarks/wakeup.c's round trip
# took 5.5-12.6 µs at 200000 and 31.8-220.7 µs at 0, the relay floor's relays' CPU 35.5-51.5
# and 64.0-373.5 µs a round trip (docs/performance-log.md, fourteenth round). Every hop of an
# invocation pays it.
#
#   bash Benchmarks/halt-polling.sh                  # prints the machine's setting
#   bash Benchmarks/halt-polling.sh 200000 COMMAND…  # runs COMMAND with it at 200000 ns
#
# Needs root to change the value; refuses (status 1, nothing run) where the driver is not
# haltpoll or the value is not writable.
set -euo pipefail
parameter=/sys/module/haltpoll/parameters/guest_halt_poll_ns
driver=$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null || echo none)

if [ $# -eq 0 ]; then
    if [ -r "$parameter" ]; then
        echo "cpuidle driver $driver, guest_halt_poll_ns $(cat "$parameter") (Linux's default: 200000)"
    else
        echo "cpuidle driver $driver, no guest halt polling here"
    fi
    exit 0
fi

value=$1
shift
if ! [[ "$value" =~ ^[0-9]+$ ]] || [ $# -eq 0 ]; then
    echo "usage: $0 [NANOSECONDS COMMAND...]" >&2
    exit 64
fi
if [ ! -w "$parameter" ]; then
    echo "$0: $parameter is not writable here (driver $driver; root needed)" >&2
    exit 1
fi

original=$(cat "$parameter")
restore() { echo "$original" > "$parameter"; }
trap restore EXIT
echo "$value" > "$parameter"
echo "guest_halt_poll_ns $value for this command (the machine's: $original, put back after)" >&2
"$@"
