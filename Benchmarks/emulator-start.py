#!/usr/bin/env python3
"""How long an instance's emulator takes to start: runs `EXECUTABLE [rie] --port 0 -- /bin/true`
RUNS times, each until its ready line, then stops it; prints the p50 to the ready line and the
mean CPU (user + system, start-up and shutdown) per run.

    python3 Benchmarks/emulator-start.py .build-static/release/shoal-rie [RUNS]
    python3 Benchmarks/emulator-start.py .build-static/release/shoal [RUNS]    # `shoal rie`
"""
import os
import resource
import subprocess
import sys
import time

executable = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
command = [executable] + (["rie"] if os.path.basename(executable) == "shoal" else []) + ["--port", "0", "--", "/bin/true"]
walls = []
before = resource.getrusage(resource.RUSAGE_CHILDREN)
for _ in range(runs):
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    process.stdout.readline()
    walls.append(time.perf_counter() - started)
    process.terminate()
    process.wait()
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / runs
walls.sort()
label = executable + (" rie" if command[1] == "rie" else "")
print(f"{label}: ready p50 {walls[len(walls) // 2] * 1000:.1f} ms, CPU {cpu * 1000:.1f} ms per run ({runs} runs)")
