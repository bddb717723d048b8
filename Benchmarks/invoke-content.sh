#!/usr/bin/env bash
# Builds and runs Benchmarks/invoke-content/main.swift against the Protocol sources it
# measures (base64 and the JSON check of an invoke's payload), optimized as a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swiftc -O -parse-as-library -module-name InvokeContent -o "$work/invoke-content" \
    Sources/Protocol/Model/Base64.swift Sources/Protocol/Model/JSONSyntax.swift \
    Sources/Protocol/Framing/UTF8Validation.swift Benchmarks/invoke-content/main.swift
"$work/invoke-content"
