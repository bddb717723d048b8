#!/usr/bin/env bash
# Builds and runs Benchmarks/invoke-content/main.swift against the sources it measures
# (base64 and the JSON check of an invoke's payload) as a release package in a temporary
# directory, with the base64 library they use.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/Sources/InvokeContent"
# One module of the files it needs: their imports of each other's modules go.
for file in Sources/Protocol/Model/Base64.swift Sources/Lambda/JSONSyntax.swift Sources/Protocol/Framing/UTF8Validation.swift; do
    grep -v '^import Shoal' "$file" > "$work/Sources/InvokeContent/$(basename "$file")"
done
cp Benchmarks/invoke-content/main.swift "$work/Sources/InvokeContent/InvokeContentBenchmark.swift"
cat > "$work/Package.swift" <<'PACKAGE'
// swift-tools-version: 6.0
import PackageDescription
let package = Package(
    name: "invoke-content",
    dependencies: [.package(url: "https://github.com/swift-extras/swift-extras-base64.git", from: "1.2.0")],
    targets: [
        .executableTarget(name: "InvokeContent", dependencies: [.product(name: "ExtrasBase64", package: "swift-extras-base64")])
    ]
)
PACKAGE
swift build -c release --package-path "$work" --product InvokeContent >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
"$work/.build/release/InvokeContent"
