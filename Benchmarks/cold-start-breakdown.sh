#!/usr/bin/env bash
# Where a cold start's machine CPU goes, step by step, for issue 29's fork-server work: each
# step run N times as a fresh process, CPU (user + system, from the shell's `times`) and wall
# time per run; then the PSS of one warm Python instance (its `shoal rie` and its runtime)
# from /proc/PID/smaps_rollup.
#
#   swift build -c release && bash Benchmarks/cold-start-breakdown.sh [RUNS, default 20] [PYTHON]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
python=${2:-python3}
shoal=.build/release/shoal

step() {  # LABEL COMMAND...: mean wall and CPU milliseconds per run
    local label=$1
    shift
    local started ended cpu_before cpu_after
    read -r cpu_before < <(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
    started=$(date +%s%N)
    for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1; done
    ended=$(date +%s%N)
    read -r cpu_after < <(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
    local ticks
    ticks=$(getconf CLK_TCK)
    awk -v l="$label" -v w="$(( (ended - started) / runs ))" -v c="$(( cpu_after - cpu_before ))" -v n="$runs" -v t="$ticks" \
        'BEGIN { printf "%-44s wall %7.1f ms   cpu %7.1f ms\n", l, w / 1e6, c * 1000 / t / n }'
}

echo "cold-start steps, $runs fresh processes each ($(nproc) cores)"
step "python -c pass" "$python" -c pass
step "python -S -c pass (no site)" "$python" -S -c pass
step "python: import awslambdaric" "$python" -c "import awslambdaric"
step "python: import awslambdaric.bootstrap" "$python" -c "import awslambdaric.bootstrap"
step "node -e 0" node -e 0
step "shoal --help (the executable's own start)" "$shoal" --help

# One warm instance's memory: a process-backend worker, one Python function, one call.
work=$(mktemp -d)
"$shoal" worker --port 0 --data-dir "$work/data" --python "$python" >"$work/worker.log" 2>&1 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "ready" "$work/worker.log" && break; sleep 0.1; done
port=$(grep -o "127.0.0.1:[0-9]*" "$work/worker.log" | head -1 | cut -d: -f2)
"$python" - "$port" <<'PY'
import base64, hashlib, io, json, socket, struct, sys, zipfile
port = int(sys.argv[1])
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as archive:
    archive.writestr("app.py", "def handler(event, context):\n    return event\n")
code = buffer.getvalue()
sha = hashlib.sha256(code).hexdigest()
sock = socket.create_connection(("127.0.0.1", port))
def call(method, params, id):
    body = json.dumps({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).encode()
    sock.sendall(struct.pack(">I", len(body)) + body)
    while True:
        size = struct.unpack(">I", sock.recv(4, socket.MSG_WAITALL))[0]
        answer = json.loads(sock.recv(size, socket.MSG_WAITALL))
        if answer.get("id") == id:
            return answer
call("worker.hello", {}, 1)
call("artifact.put", {"sha256": sha, "zipFile": base64.b64encode(code).decode()}, 2)
call("function.put", {"function": {"name": "pss", "runtime": "python3.12", "handler": "app.handler", "timeoutSeconds": 3,
     "memoryMB": 128, "environment": {}, "packageType": "Zip", "codeSHA256": sha, "layerSHA256s": []}}, 3)
print("invoke:", "error" not in call("invoke", {"functionName": "pss", "payload": base64.b64encode(b"{}").decode()}, 4))
PY
pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
for rie in $(pgrep -P "$worker" -f "shoal rie" || true); do
    runtime=$(pgrep -P "$rie" | head -1)
    echo "warm instance PSS: shoal rie $(pss "$rie") kB + runtime $(pss "$runtime") kB"
done
