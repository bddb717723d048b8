#!/usr/bin/env bash
# The figure a boto3 user sees: `client.invoke` end to end against `shoal up` (release build,
# process backend, a warm Python echo function), p50 and p99 over N calls after a warm-up,
# from one Python client with retries off. Starts `shoal up` on free loopback ports and stops
# it by PID at the end.
#
#   swift build -c release && bash Benchmarks/boto3-invoke.sh [CALLS, default 2000] [PYTHON]
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-2000}
python=${2:-python3}
work=$(mktemp -d)
.build/release/shoal up --workers 2 --rpc-port 0 --http-port 0 --data-dir "$work/data" >"$work/up.log" 2>&1 &
up=$!
trap 'kill "$up" 2>/dev/null || true; wait "$up" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 200); do grep -q "ready" "$work/up.log" && break; sleep 0.1; done
port=$(grep -o "http 127.0.0.1:[0-9]*" "$work/up.log" | head -1 | cut -d: -f2)
"$python" - "$port" "$calls" <<'PY'
import io, statistics, sys, time, zipfile
import boto3
from botocore.config import Config

port, calls = int(sys.argv[1]), int(sys.argv[2])
client = boto3.client("lambda", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test",
                      config=Config(retries={"total_max_attempts": 1}, read_timeout=60))
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as archive:
    archive.writestr("app.py", "def handler(event, context):\n    return event\n")
client.create_function(FunctionName="echo", Runtime="python3.12", Role="arn:aws:iam::000000000000:role/r",
                       Handler="app.handler", Code={"ZipFile": buffer.getvalue()})
for _ in range(200):
    client.invoke(FunctionName="echo", Payload=b'{"a": 1}')["Payload"].read()
samples = []
for _ in range(calls):
    started = time.perf_counter()
    client.invoke(FunctionName="echo", Payload=b'{"a": 1}')["Payload"].read()
    samples.append((time.perf_counter() - started) * 1e6)
samples.sort()
print(f"boto3 invoke, {calls} warm calls: p50 {statistics.median(samples):.0f} µs, "
      f"p99 {samples[int(len(samples) * 0.99) - 1]:.0f} µs")
PY
