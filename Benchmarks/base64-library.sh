#!/usr/bin/env bash
# The hand-written base64 Shoal had (Benchmarks/base64-library/HandWrittenBase64.swift) against
# swift-extras-base64, which Shoal uses now, built together as a release package in a temporary
# directory: Benchmarks/base64-library/main.swift.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/Sources/ShoalBase64" "$work/Sources/Base64Library"
cp Benchmarks/base64-library/HandWrittenBase64.swift "$work/Sources/ShoalBase64/Base64.swift"
cp Benchmarks/base64-library/main.swift "$work/Sources/Base64Library/Base64Library.swift"
cat > "$work/Package.swift" <<'PACKAGE'
// swift-tools-version: 6.0
import PackageDescription
let package = Package(
    name: "base64-library",
    dependencies: [.package(url: "https://github.com/swift-extras/swift-extras-base64.git", from: "1.2.0")],
    targets: [
        .target(name: "ShoalBase64"),
        .executableTarget(name: "Base64Library", dependencies: [
            "ShoalBase64", .product(name: "ExtrasBase64", package: "swift-extras-base64"),
        ]),
    ]
)
PACKAGE
swift build -c release --package-path "$work" --product Base64Library >/dev/null
"$work/.build/release/Base64Library"
