#!/usr/bin/env bash
# What gateway and worker add to a warm invoke, timed by a client with no work of its own
# (Benchmarks/raw-client.c), so the Swift client's cost is out of the figure. Starts a
# `shoal worker --backend scripted` and a `shoal gateway` in front of it on loopback ports,
# creates one function, then alternates three measurements ROUNDS times: a POST straight to
# the warm instance, the JSON-RPC `invoke` at the worker, and at the gateway. Stops both
# processes by PID at the end.
#
#   bash Benchmarks/raw-client.sh [SHOAL_BINARY] [COUNT] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
shoal=${1:-.build/release/shoal}
count=${2:-20000}
rounds=${3:-3}
work=$(mktemp -d)
client="$work/raw-client"
cc -O2 Benchmarks/raw-client.c -o "$client"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# Waits for a child's `ready` line and prints the port after the given word.
port_of() {
    local log=$1 word=$2
    for _ in $(seq 100); do
        if grep -q ready "$log"; then
            grep -o "$word 127.0.0.1:[0-9]*" "$log" | head -1 | cut -d: -f2
            return
        fi
        sleep 0.1
    done
    echo "no ready line in $log" >&2
    exit 1
}

"$shoal" worker --port 0 --backend scripted --max-concurrency 64 >"$work/worker.log" 2>&1 &
pids+=($!)
worker_port=$(port_of "$work/worker.log" "listening on")
"$shoal" gateway --rpc-port 0 --http-port 0 --data-dir "$work/data" --worker "127.0.0.1:$worker_port" >"$work/gateway.log" 2>&1 &
pids+=($!)
gateway_port=$(port_of "$work/gateway.log" rpc)

# The benchmark's function: a zip with an executable `bootstrap` the scripted backend never runs.
python3 - "$work" <<'EOF'
import sys, zipfile
work = sys.argv[1]
with zipfile.ZipFile(f"{work}/code.zip", "w") as archive:
    info = zipfile.ZipInfo("bootstrap")
    info.external_attr = 0o100755 << 16
    archive.writestr(info, "#!/bin/sh\n")
EOF
"$shoal" create --address "127.0.0.1:$gateway_port" bench --runtime provided.al2023 --handler bootstrap --zip "$work/code.zip" >/dev/null

# A JSON string of 64 bytes: the gateway takes only JSON payloads, as AWS does.
payload="\"$(head -c 62 /dev/zero | tr '\0' x)\""
encoded=$(printf '%s' "$payload" | base64 -w0)
invoke="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"invoke\",\"params\":{\"functionName\":\"bench\",\"payload\":\"$encoded\"}}"
hello='{"jsonrpc":"2.0","id":0,"method":"worker.hello","params":{}}'
# One call through the gateway makes the warm instance; the worker's warm.list names its port.
"$client" "$gateway_port" 1 rpc "$invoke" 2>/dev/null >/dev/null
instance_port=$(python3 - "$worker_port" <<'EOF'
import json, socket, struct, sys
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def call(id, method):
    body = json.dumps({"jsonrpc": "2.0", "id": id, "method": method, "params": {}}).encode()
    connection.sendall(struct.pack(">I", len(body)) + body)
    length = struct.unpack(">I", connection.recv(4, socket.MSG_WAITALL))[0]
    return json.loads(connection.recv(length, socket.MSG_WAITALL))
call(0, "worker.hello")
print(call(1, "warm.list")["result"]["instances"][0]["endpoint"].rsplit(":", 1)[1])
EOF
)

echo "raw client, $count round trips per line, one connection each, 64-byte payload"
for _ in $(seq "$rounds"); do
    echo "  instance (HTTP) $("$client" "$instance_port" "$count" http "$payload" 2>/dev/null)"
    echo "  worker          $("$client" "$worker_port" "$count" rpc "$invoke" "$hello" 2>/dev/null)"
    echo "  gateway         $("$client" "$gateway_port" "$count" rpc "$invoke" 2>/dev/null)"
done
