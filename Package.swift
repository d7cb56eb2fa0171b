// swift-tools-version: 6.1
import PackageDescription

/// EdgeLedger: MQTT readings into an append-only, verifiable log (RFC 6962 / C2SP tlog).
///
/// Layering (see docs/ARCHITECTURE in README):
/// - `EdgeLedgerCore`: pure formats and algorithms (Merkle tree, tiles, entries, notes,
///   checkpoints, configuration model). No I/O, no C.
/// - `COpenSSL`, `CSQLite`, `CMosquitto`: thin system-library targets.
/// - `EdgeLedgerSystem`: POSIX threads and condition locks for the blocking C loops.
/// - `EdgeLedgerCrypto`, `EdgeLedgerStore`, `EdgeLedgerConfig`, `EdgeLedgerMQTT`: adapters.
/// - `EdgeLedgerAgent`: the services (ingest, sealer) that `edge-ledger run` wires together.
/// - `edge-ledger`: the one executable.
let package = Package(
    name: "EdgeLedger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "edge-ledger", targets: ["EdgeLedgerCLI"]),
        .executable(name: "edge-ledger-bench", targets: ["EdgeLedgerBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", exact: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        // Imported directly (NIOCore, NIOPosix, NIOHTTP1, NIOSSL), so named here at the versions
        // Hummingbird and AsyncHTTPClient resolve to; the .git URLs match theirs.
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", exact: "1.35.2"),
    ],
    targets: [
        // MARK: Pure core
        .target(name: "EdgeLedgerCore"),

        // MARK: System libraries
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),

        // MARK: Adapters
        .target(name: "EdgeLedgerCrypto", dependencies: ["EdgeLedgerCore", "COpenSSL"]),
        .target(name: "EdgeLedgerSystem", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .target(name: "EdgeLedgerStore", dependencies: ["EdgeLedgerCore", "EdgeLedgerSystem", "CSQLite"]),
        .target(
            name: "EdgeLedgerConfig",
            dependencies: ["EdgeLedgerCore"]
        ),
        .target(
            name: "EdgeLedgerMQTT",
            dependencies: [
                "EdgeLedgerCore", "EdgeLedgerSystem", "CMosquitto", .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .target(
            name: "EdgeLedgerHTTP",
            dependencies: [
                "EdgeLedgerCore", "EdgeLedgerCrypto", "EdgeLedgerStore", "EdgeLedgerSystem",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        .target(
            name: "EdgeLedgerSync",
            dependencies: [
                "EdgeLedgerCore", "EdgeLedgerCrypto", "EdgeLedgerStore", "EdgeLedgerHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),

        // MARK: Services and executable
        .target(
            name: "EdgeLedgerAgent",
            dependencies: [
                "EdgeLedgerCore", "EdgeLedgerCrypto", "EdgeLedgerStore", "EdgeLedgerConfig",
                "EdgeLedgerMQTT", "EdgeLedgerHTTP", "EdgeLedgerSync", "EdgeLedgerSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "EdgeLedgerCLI",
            dependencies: [
                "EdgeLedgerAgent", "EdgeLedgerSync", "EdgeLedgerConfig", "EdgeLedgerCore", "EdgeLedgerCrypto",
                "EdgeLedgerStore", "CMosquitto", "COpenSSL", "CSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            linkerSettings: [
                // Release links on Linux (docs/PERFORMANCE.md, "Footprint"): the toolchain's lld,
                // no dynamic symbol table for the executable's ~36,000 symbols, and packed relative
                // relocations (glibc ≥ 2.36): 6 MB less on disk and ~4 MiB less resident at idle.
                .unsafeFlags(
                    [
                        "-use-ld=lld", "-Xlinker", "--no-export-dynamic", "-Xlinker", "-z", "-Xlinker",
                        "pack-relative-relocs",
                    ],
                    .when(platforms: [.linux], configuration: .release))
            ]
        ),
        .executableTarget(
            name: "EdgeLedgerBench",
            dependencies: ["EdgeLedgerCore", "EdgeLedgerCrypto", "EdgeLedgerStore", "CSQLite"]
        ),

        // MARK: Tests
        .target(
            name: "EdgeLedgerTestSupport", dependencies: ["CSQLite", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "EdgeLedgerMQTTTests", dependencies: ["EdgeLedgerMQTT", "EdgeLedgerTestSupport"]),
        .testTarget(
            name: "EdgeLedgerCoreTests",
            dependencies: [
                "EdgeLedgerCore", "EdgeLedgerCrypto",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "EdgeLedgerCryptoTests",
            dependencies: ["EdgeLedgerCrypto", "EdgeLedgerCore", "COpenSSL", "EdgeLedgerTestSupport"]
        ),
        .testTarget(
            name: "EdgeLedgerStoreTests",
            dependencies: ["EdgeLedgerStore", "EdgeLedgerCore", "EdgeLedgerCrypto", "CSQLite", "EdgeLedgerTestSupport"]
        ),
        .testTarget(
            name: "EdgeLedgerConfigTests",
            dependencies: [
                "EdgeLedgerConfig", "EdgeLedgerCore", "EdgeLedgerTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "EdgeLedgerAgentTests",
            dependencies: [
                "EdgeLedgerAgent", "EdgeLedgerCore", "EdgeLedgerMQTT", "EdgeLedgerStore", "EdgeLedgerSystem",
                "EdgeLedgerTestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "EdgeLedgerHTTPTests",
            dependencies: [
                "EdgeLedgerHTTP", "EdgeLedgerStore", "EdgeLedgerCore", "EdgeLedgerCrypto", "EdgeLedgerTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "EdgeLedgerSyncTests",
            dependencies: [
                "EdgeLedgerSync", "EdgeLedgerHTTP", "EdgeLedgerStore", "EdgeLedgerCrypto", "EdgeLedgerTestSupport",
                "EdgeLedgerCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "EdgeLedgerIngestTests",
            dependencies: [
                "EdgeLedgerCLI", "EdgeLedgerAgent", "EdgeLedgerStore", "EdgeLedgerCore", "EdgeLedgerCrypto",
                "EdgeLedgerMQTT", "EdgeLedgerHTTP", "EdgeLedgerTestSupport",
            ]
        ),
        .testTarget(
            name: "EdgeLedgerCLITests",
            dependencies: [
                "EdgeLedgerCLI", "EdgeLedgerStore", "EdgeLedgerCrypto", "EdgeLedgerMQTT", "EdgeLedgerTestSupport",
                "EdgeLedgerConfig", "EdgeLedgerCore",
            ]
        ),
    ]
)
