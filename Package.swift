// swift-tools-version: 6.1
import PackageDescription

/// EdgeLedger: MQTT readings into an append-only, verifiable log (RFC 6962 / C2SP tlog).
///
/// Modules by role (docs/ARCHITECTURE.md); dependencies point one way, from the executables
/// down to the core:
/// - `EdgeLedgerCore`: pure formats and their proofs (entry, note, checkpoint, tiles,
///   tlog-proof, witness request, JSON), Merkle math, the configuration model and its TOML
///   parser. No I/O, no C.
/// - `COpenSSL`, `CSQLite`, `CMosquitto`, `CPostgres`, `CZlib`: thin system-library shims.
/// - `EdgeLedgerSystem`: libc, threads for blocking C loops, clocks, backoff, logging, systemd,
///   reading configuration files.
/// - `EdgeLedgerCrypto`: keys, note signers and verifiers, cosignature/v1 (OpenSSL).
/// - `EdgeLedgerStore`: the gateway's ledger (SQLite) and its ingest journal.
/// - `EdgeLedgerMQTT`: the broker client (libmosquitto).
/// - `EdgeLedgerSparkplug`: Eclipse Sparkplug B: the payload types generated from Tahu's
///   `sparkplug_b.proto` (SwiftProtobuf), the bounded decoder, the topic namespace and the state a
///   host application keeps per edge node (seq, bdSeq, births). No I/O.
/// - `EdgeLedgerPostgres`: a synchronous PostgreSQL connection (libpq) for the upstream's store.
/// - `EdgeLedgerHTTP`: HTTP plumbing both roles share (connection guard, authentication, client).
/// - `EdgeLedgerGateway`: ingest, sealer, retention, integrity checks, witness push, the API.
/// - `EdgeLedgerUpstream`: witness, collectors, anchoring and the upstream's store.
/// - `edge-ledger` (`EdgeLedgerCLI`) and `edge-ledger-upstream` (`EdgeLedgerUpstreamCLI`): thin
///   executables; the gateway's links no upstream code.
/// - `edge-ledger-bench` and `edge-ledger-fleet` (a simulated fleet of gateways for
///   `scripts/bench-fleet.sh`): measurement tools, not installed.
let package = Package(
    name: "EdgeLedger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "edge-ledger", targets: ["EdgeLedgerCLI"]),
        .executable(name: "edge-ledger-upstream", targets: ["EdgeLedgerUpstreamCLI"]),
        .executable(name: "edge-ledger-bench", targets: ["EdgeLedgerBench"]),
        .executable(name: "edge-ledger-fleet", targets: ["EdgeLedgerFleet"]),
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
        // Sparkplug B payloads. No traits: the Foundation-streams API stays out (FoundationEssentials only).
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0", traits: []),
    ],
    targets: [
        // MARK: Pure core
        .target(name: "EdgeLedgerCore"),

        // MARK: C shims
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
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CPostgres",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),

        // MARK: System layer and adapters
        .target(
            name: "EdgeLedgerSystem",
            dependencies: ["EdgeLedgerCore", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "EdgeLedgerCrypto", dependencies: ["EdgeLedgerCore", "EdgeLedgerSystem", "COpenSSL"]),
        .target(name: "EdgeLedgerStore", dependencies: ["EdgeLedgerCore", "EdgeLedgerSystem", "CSQLite"]),
        .target(
            name: "EdgeLedgerMQTT",
            dependencies: [
                "EdgeLedgerCore", "EdgeLedgerSystem", "CMosquitto", "COpenSSL",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "EdgeLedgerSparkplug",
            dependencies: ["EdgeLedgerCore", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .target(
            name: "EdgeLedgerPostgres",
            dependencies: ["CPostgres", "EdgeLedgerSystem", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "EdgeLedgerHTTP",
            dependencies: [
                "EdgeLedgerCore", "EdgeLedgerCrypto", "EdgeLedgerSystem", "CZlib",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),

        // MARK: Roles
        .target(
            name: "EdgeLedgerGateway",
            dependencies: [
                "EdgeLedgerCore", "EdgeLedgerCrypto", "EdgeLedgerStore", "EdgeLedgerMQTT",
                "EdgeLedgerHTTP", "EdgeLedgerSystem", "EdgeLedgerSparkplug",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        .target(
            name: "EdgeLedgerUpstream",
            dependencies: [
                "EdgeLedgerCore", "EdgeLedgerCrypto", "EdgeLedgerStore", "EdgeLedgerHTTP",
                "EdgeLedgerSystem", "EdgeLedgerPostgres", "CSQLite",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),

        // MARK: Executables
        .executableTarget(
            name: "EdgeLedgerCLI",
            dependencies: [
                "EdgeLedgerGateway", "EdgeLedgerCore", "EdgeLedgerCrypto", "EdgeLedgerStore",
                "EdgeLedgerMQTT", "EdgeLedgerHTTP", "EdgeLedgerSystem", "CMosquitto", "COpenSSL", "CSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            linkerSettings: releaseLinkerSettings
        ),
        .executableTarget(
            name: "EdgeLedgerUpstreamCLI",
            dependencies: [
                "EdgeLedgerUpstream", "EdgeLedgerCore", "EdgeLedgerCrypto", "EdgeLedgerSystem", "CSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: releaseLinkerSettings
        ),
        .executableTarget(
            name: "EdgeLedgerBench",
            dependencies: [
                "EdgeLedgerCore", "EdgeLedgerCrypto", "EdgeLedgerStore", "EdgeLedgerSystem", "EdgeLedgerPostgres",
                "CSQLite",
            ]
        ),
        .executableTarget(
            name: "EdgeLedgerFleet",
            dependencies: [
                "EdgeLedgerCore", "EdgeLedgerCrypto", "EdgeLedgerHTTP", "EdgeLedgerSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // MARK: Tests
        .target(
            name: "EdgeLedgerTestSupport",
            dependencies: [
                "CSQLite", "EdgeLedgerSystem", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(name: "EdgeLedgerMQTTTests", dependencies: ["EdgeLedgerMQTT", "EdgeLedgerTestSupport"]),
        .testTarget(
            name: "EdgeLedgerSparkplugTests",
            dependencies: ["EdgeLedgerSparkplug", "EdgeLedgerCore"]
        ),
        .testTarget(
            name: "EdgeLedgerPostgresTests",
            dependencies: [
                "EdgeLedgerPostgres", "EdgeLedgerTestSupport", .product(name: "Logging", package: "swift-log"),
            ]
        ),
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
            dependencies: [
                "EdgeLedgerStore", "EdgeLedgerCore", "EdgeLedgerCrypto", "EdgeLedgerSystem", "CSQLite",
                "EdgeLedgerTestSupport",
            ]
        ),
        .testTarget(
            name: "EdgeLedgerConfigTests",
            dependencies: [
                "EdgeLedgerCore", "EdgeLedgerSystem", "EdgeLedgerTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "EdgeLedgerSystemTests",
            dependencies: ["EdgeLedgerSystem", "EdgeLedgerCore", "EdgeLedgerTestSupport"]
        ),
        .testTarget(
            name: "EdgeLedgerGatewayTests",
            dependencies: [
                "EdgeLedgerGateway", "EdgeLedgerCore", "EdgeLedgerCrypto", "EdgeLedgerMQTT", "EdgeLedgerSparkplug",
                "EdgeLedgerStore",
                "EdgeLedgerSystem", "EdgeLedgerTestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "EdgeLedgerHTTPTests",
            dependencies: [
                "EdgeLedgerHTTP", "EdgeLedgerGateway", "EdgeLedgerStore", "EdgeLedgerCore", "EdgeLedgerCrypto",
                "EdgeLedgerSystem", "EdgeLedgerTestSupport",
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
            name: "EdgeLedgerFleetTests",
            dependencies: ["EdgeLedgerFleet", "EdgeLedgerCore", "EdgeLedgerHTTP"]
        ),
        .testTarget(
            name: "EdgeLedgerUpstreamTests",
            dependencies: [
                "EdgeLedgerUpstream", "EdgeLedgerGateway", "EdgeLedgerHTTP", "EdgeLedgerStore", "EdgeLedgerCrypto",
                "EdgeLedgerSystem", "EdgeLedgerTestSupport", "EdgeLedgerCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
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
                "EdgeLedgerCLI", "EdgeLedgerUpstreamCLI", "EdgeLedgerGateway", "EdgeLedgerUpstream", "EdgeLedgerStore",
                "EdgeLedgerCore",
                "EdgeLedgerCrypto", "EdgeLedgerMQTT", "EdgeLedgerHTTP", "EdgeLedgerSparkplug", "EdgeLedgerTestSupport",
            ]
        ),
        .testTarget(
            name: "EdgeLedgerCLITests",
            dependencies: [
                "EdgeLedgerCLI", "EdgeLedgerUpstreamCLI", "EdgeLedgerGateway", "EdgeLedgerHTTP", "EdgeLedgerStore",
                "EdgeLedgerCrypto", "EdgeLedgerMQTT", "EdgeLedgerSystem", "EdgeLedgerTestSupport", "EdgeLedgerCore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)

/// Release links on Linux (docs/PERFORMANCE.md, "Footprint"): the toolchain's lld, no dynamic
/// symbol table for the executable's ~36,000 symbols, and packed relative relocations
/// (glibc ≥ 2.36): 6 MB less on disk and ~4 MiB less resident at idle.
var releaseLinkerSettings: [LinkerSetting] {
    [
        .unsafeFlags(
            [
                "-use-ld=lld", "-Xlinker", "--no-export-dynamic", "-Xlinker", "-z", "-Xlinker",
                "pack-relative-relocs",
            ],
            .when(platforms: [.linux], configuration: .release))
    ]
}
