#!/usr/bin/env bash
# Builds the Shoal container image (deploy/Dockerfile) from a release build of `shoal` (and
# the lean `shoal-rie` the process backend runs instances with), with
# the Swift standard library linked in (--static-swift-stdlib, in .build-static), tagged
# shoal:<hash> and shoal:latest, where <hash> covers the binary and the Dockerfile: an
# unchanged tree builds nothing. BASE picks the base image (default: Debian's slim image);
# the tests pass the Debian rootfs scripts/docker-test-images.sh imports. Prints the tag.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${BASE:-debian:bookworm-slim}

swift build -c release --static-swift-stdlib --product shoal --scratch-path .build-static >&2
swift build -c release --static-swift-stdlib --product shoal-rie --scratch-path .build-static >&2
binary=.build-static/release/shoal
hash=$( (sha256sum "$binary" .build-static/release/shoal-rie deploy/Dockerfile; echo "$base") | sha256sum | cut -c1-16)
tag=shoal:$hash
if ! docker image inspect "$tag" >/dev/null 2>&1; then
    context=$(mktemp -d)
    trap 'rm -rf "$context"' EXIT
    cp "$binary" "$context/shoal"
    cp .build-static/release/shoal-rie "$context/shoal-rie"
    strip "$context/shoal" "$context/shoal-rie" 2>/dev/null || true
    docker build -q --build-arg "BASE=$base" -f deploy/Dockerfile -t "$tag" "$context" >/dev/null 2>"$context/build.log" \
        || { cat "$context/build.log" >&2; exit 1; }
fi
docker tag "$tag" shoal:latest
echo "$tag"
