// swift-tools-version: 6.2
import PackageDescription

/// Shoal: an AWS Lambda execution-layer emulator that shards functions across worker
/// processes. Module names carry a `Shoal` prefix (folders keep the short names the
/// architecture brief requires) so that `Protocol` never collides with Swift's `.Protocol`.
let package = Package(
    name: "shoal",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "shoal", targets: ["shoal"]),
        .executable(name: "shoal-rie", targets: ["shoal-rie"]),
        .executable(name: "shoal-bench", targets: ["shoal-bench"]),
        .library(name: "ShoalProtocol", targets: ["ShoalProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64.git", from: "1.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CShoalZlib",
            path: "Sources/CShoalZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CShoalCurl",
            path: "Sources/CShoalCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "ShoalDocker",
            dependencies: [
                "CShoalCurl",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Docker"
        ),
        .target(
            name: "ShoalLambda",
            dependencies: ["ShoalProtocol"],
            path: "Sources/Lambda"
        ),
        .target(
            name: "ShoalZip",
            dependencies: ["CShoalZlib"],
            path: "Sources/Zip"
        ),
        .target(
            name: "ShoalProtocol",
            dependencies: [
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Protocol"
        ),
        .target(
            name: "ShoalWorker",
            dependencies: [
                "CShoalSystem", "ShoalProtocol", "ShoalLambda", "ShoalRuntimeInterface", "ShoalRIE", "ShoalZip", "ShoalDocker",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Worker"
        ),
        .target(
            name: "CShoalSystem",
            path: "Sources/CShoalSystem"
        ),
        .target(
            name: "ShoalRuntimeInterface",
            dependencies: [
                "CShoalSystem", "ShoalProtocol", "ShoalLambda",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/RuntimeInterface"
        ),
        .target(
            name: "ShoalGateway",
            dependencies: [
                "ShoalProtocol", "ShoalLambda", "CShoalZlib", "ShoalZip", "ShoalExecutor",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Gateway"
        ),
        .target(
            name: "ShoalExecutor",
            dependencies: ["CShoalSystem", .product(name: "NIOPosix", package: "swift-nio")],
            path: "Sources/Executor"
        ),
        .target(
            name: "ShoalRIE",
            dependencies: [
                "CShoalSystem", "ShoalRuntimeInterface", "ShoalExecutor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/RIE"
        ),
        .executableTarget(
            name: "shoal-rie",
            dependencies: ["ShoalRIE"],
            path: "Sources/shoal-rie",
            // The same allocator as `shoal` (see there): the RIE is on every invoke's path.
            linkerSettings: [.linkedLibrary("mimalloc", .when(platforms: [.linux]))]
        ),
        .executableTarget(
            name: "shoal-bench",
            dependencies: [
                "ShoalProtocol", "ShoalWorker", "ShoalRuntimeInterface", "ShoalExecutor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Sources/Bench",
            // The same allocator as `shoal`, so the client side of a measurement is as before.
            linkerSettings: [.linkedLibrary("mimalloc", .when(platforms: [.linux]))]
        ),
        .executableTarget(
            name: "shoal",
            dependencies: [
                "CShoalSystem", "ShoalProtocol", "ShoalWorker", "ShoalGateway", "ShoalRuntimeInterface", "ShoalExecutor", "ShoalRIE",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/shoal",
            // mimalloc in place of glibc's malloc for every Shoal process (gateway, workers,
            // `shoal rie`): a warm invoke makes about 80 small allocations across gateway and
            // worker, and glibc's malloc and free took about 6% of each process's CPU
            // (README, Performance). Debian's libmimalloc-dev, installed by scripts/deps.sh.
            linkerSettings: [.linkedLibrary("mimalloc", .when(platforms: [.linux]))]
        ),
        .target(
            name: "ShoalTestSupport",
            dependencies: ["ShoalRuntimeInterface", .product(name: "Crypto", package: "swift-crypto")],
            path: "Tests/Support"
        ),
        .testTarget(
            name: "ProtocolTests",
            dependencies: [
                "ShoalTestSupport",
                "ShoalProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Tests/ProtocolTests"
        ),
        .testTarget(
            name: "DockerTests",
            dependencies: ["ShoalDocker", "ShoalTestSupport"],
            path: "Tests/DockerTests"
        ),
        .testTarget(
            name: "LambdaTests",
            dependencies: ["ShoalLambda", "ShoalProtocol"],
            path: "Tests/LambdaTests"
        ),
        .testTarget(
            name: "ZipTests",
            dependencies: [
                "ShoalZip", "ShoalTestSupport",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            path: "Tests/ZipTests"
        ),
        .testTarget(
            name: "WorkerTests",
            dependencies: [
                "ShoalDocker",
                "ShoalTestSupport", "ShoalExecutor",
                "ShoalWorker", "ShoalRuntimeInterface", "ShoalZip", "ShoalLambda",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Tests/WorkerTests"
        ),
        .testTarget(
            name: "RuntimeInterfaceTests",
            dependencies: [
                "ShoalRIE",
                "ShoalTestSupport",
                "ShoalRuntimeInterface", "ShoalWorker",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/RuntimeInterfaceTests"
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "ShoalDocker",
                "ShoalGateway", "ShoalProtocol", "ShoalTestSupport", "ShoalRuntimeInterface", "ShoalZip",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Tests/GatewayTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
