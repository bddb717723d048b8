#!/usr/bin/env bash
# Builds the images the Docker backend's tests run, with no registry: a Debian bookworm
# minbase rootfs (debootstrap; with what `shoal` links against, so deploy/Dockerfile builds
# on it offline too) imported once, and small images on top that follow AWS's
# base-image layout (an ENTRYPOINT that starts the runtime interface client, the handler as
# the command). Each image carries the hash of what built it and is rebuilt only when that
# changes, so a machine builds them once. Needs a running Docker engine; prints nothing
# else but what it builds.
set -euo pipefail
cd "$(dirname "$0")/.."

node_loop=Sources/Worker/Backend/Process/Runtimes/NodeRuntimeLoop.swift
hash=$(cat "$0" "$node_loop" | sha256sum | cut -c1-16)
# The rootfs changes only with what goes into it: its own hash, so editing an image above it
# does not run debootstrap again.
base_packages="python3,nodejs,ca-certificates,libcurl4,libmimalloc2.0 awslambdaric"
base_hash=$(echo "bookworm minbase $base_packages" | sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/shoal
mkdir -p "$cache"

built() { [ "$(docker image inspect -f '{{ index .Config.Labels "shoal.test.hash" }}' "$1" 2>/dev/null)" = "${2:-$hash}" ]; }

if ! built shoal-test/base:bookworm "$base_hash"; then
    rootfs_tar="$cache/bookworm-minbase-$base_hash.tar"
    if [ ! -f "$rootfs_tar" ]; then
        command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
        rootfs=$(mktemp -d)
        echo "debootstrap: a bookworm minbase rootfs with python3 and nodejs" >&2
        debootstrap --variant=minbase --include="${base_packages%% *}" bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
        # awslambdaric, from PyPI, for the rootfs's Python 3.11 (the same ABI as this pip's wheels).
        PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-compile --python-version 3.11 --only-binary=:all: \
            --target "$rootfs/usr/lib/python3/dist-packages" ${base_packages#* }
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
        tar -C "$rootfs" -cf "$rootfs_tar" .
        rm -rf "$rootfs"
    fi
    docker import -c "LABEL shoal.test.hash=$base_hash" "$rootfs_tar" shoal-test/base:bookworm >/dev/null
fi

build() {  # NAME, then the Dockerfile on stdin; files come from $context
    local name=$1
    built "$name" && return 0
    echo "building $name" >&2
    (cat; echo "LABEL shoal.test.hash=$hash") > "$context/Dockerfile"
    docker build -q -t "$name" "$context" >/dev/null 2>"$context/build.log" || { cat "$context/build.log" >&2; return 1; }
}

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT

# Python, as AWS's python base image: the entrypoint runs awslambdaric with the handler.
printf '#!/bin/sh\nexec /usr/bin/python3 -m awslambdaric "$@"\n' > "$context/python-entrypoint.sh"
build shoal-test/python:3.11 <<'DOCKERFILE'
FROM shoal-test/base:bookworm
COPY python-entrypoint.sh /lambda-entrypoint.sh
RUN chmod 755 /lambda-entrypoint.sh && mkdir -p /var/task /var/runtime
ENTRYPOINT ["/lambda-entrypoint.sh"]
DOCKERFILE

# Node: no registry reaches AWS's Node runtime client here, so the image carries Shoal's own
# bundled loop (the JavaScript in NodeRuntimeLoop.swift) as its runtime client.
awk '/static let source = #"""/{on=1; next} /^        """#/{on=0} on' "$node_loop" | sed 's/^        //' > "$context/index.mjs"
printf '#!/bin/sh\nexec /usr/bin/node /var/runtime/index.mjs "$@"\n' > "$context/node-entrypoint.sh"
build shoal-test/node:18 <<'DOCKERFILE'
FROM shoal-test/base:bookworm
COPY index.mjs /var/runtime/index.mjs
COPY node-entrypoint.sh /lambda-entrypoint.sh
RUN chmod 755 /lambda-entrypoint.sh && mkdir -p /var/task
ENTRYPOINT ["/lambda-entrypoint.sh"]
DOCKERFILE

# provided: the function's own bootstrap is the runtime.
build shoal-test/provided:bookworm <<'DOCKERFILE'
FROM shoal-test/base:bookworm
RUN mkdir -p /var/task
ENTRYPOINT ["/var/task/bootstrap"]
DOCKERFILE

# An image function with its own ENTRYPOINT, command and working directory.
mkdir -p "$context/app"
cat > "$context/app/app.py" <<'PYTHON'
import os, platform

def handler(event, context):
    return {"from": "image", "cwd": os.getcwd(), "event": event, "python": platform.python_version()}

def other(event, context):
    return {"from": "image-other"}
PYTHON
build shoal-test/image-function:1 <<'DOCKERFILE'
FROM shoal-test/base:bookworm
COPY app/app.py /function/app.py
WORKDIR /function
ENTRYPOINT ["/usr/bin/python3", "-m", "awslambdaric"]
CMD ["app.handler"]
DOCKERFILE

# An image function whose entrypoint exits at once.
build shoal-test/exits:1 <<'DOCKERFILE'
FROM shoal-test/base:bookworm
ENTRYPOINT ["/bin/sh", "-c", "echo leaving at once >&2; exit 3"]
DOCKERFILE

# Python with an emulator of its own at /usr/local/bin/aws-lambda-rie, as AWS's base images
# carry one, for --docker-emulator image. AWS's binary is not reachable offline, so this is a
# small stand-in that speaks the same two interfaces: the invoke endpoint on :8080 and the
# Runtime API for the runtime it starts (lazily, with the command it is given).
cat > "$context/aws-lambda-rie" <<'PYTHON'
#!/usr/bin/python3
import http.server, json, os, queue, subprocess, sys, threading, time, uuid

events, answers, started = queue.Queue(), {}, threading.Lock()
runtime = []

class Runtime(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers: self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if not self.path.endswith("/runtime/invocation/next"): return self.reply(404)
        request_id, body = events.get()
        self.reply(200, body, [("Lambda-Runtime-Aws-Request-Id", request_id),
                               ("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 300000)),
                               ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:f"),
                               ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000"), ("Content-Type", "application/json")])
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        parts = self.path.split("/")
        if len(parts) > 5 and parts[-1] in ("response", "error") and parts[-2] in answers:
            answers[parts[-2]].put((body, parts[-1] == "error"))
            return self.reply(202, b'{"status":"OK"}')
        self.reply(404)

class Invoke(Runtime):
    def do_GET(self): self.reply(404, b"not found")
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path != "/2015-03-31/functions/function/invocations": return self.reply(404)
        with started:
            if not runtime:
                runtime.append(subprocess.Popen(sys.argv[1:], env=dict(os.environ, AWS_LAMBDA_RUNTIME_API="127.0.0.1:9001")))
        request_id = str(uuid.uuid4())
        answers[request_id] = queue.Queue()
        events.put((request_id, body))
        answer, failed = answers[request_id].get()
        answers.pop(request_id, None)
        self.reply(200, answer, [("X-Amz-Function-Error", "Unhandled")] if failed else [])

threading.Thread(target=http.server.ThreadingHTTPServer(("127.0.0.1", 9001), Runtime).serve_forever, daemon=True).start()
http.server.ThreadingHTTPServer(("0.0.0.0", 8080), Invoke).serve_forever()
PYTHON
build shoal-test/python-aws-rie:3.11 <<'DOCKERFILE'
FROM shoal-test/python:3.11
COPY aws-lambda-rie /usr/local/bin/aws-lambda-rie
RUN chmod 755 /usr/local/bin/aws-lambda-rie
DOCKERFILE
