// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "gridwatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gridwatchd", targets: ["gridwatchd"]),
        .executable(name: "gridwatchctl", targets: ["gridwatchctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Already there through Hummingbird and PostgresNIO; named for NIOEmbedded in the tests.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // FFmpeg 5.1 from Debian, imported as a system library with a small shim.
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat"),
        // av_log callbacks are variadic; this C target turns them into plain lines.
        .target(name: "CFFmpegLog", dependencies: ["CFFmpeg"]),
        // FreeType from Debian, for the text stamped on evidence snapshots.
        .systemLibrary(name: "CFreeType", pkgConfig: "freetype2"),
        // The per-pixel loops of the analysis and the downscale, in C: SSE2 on every
        // x86-64, plain C elsewhere (Docs/design/motion-fixed-point.md).
        // Optimised in every build: the debug daemons of make test's end-to-end tests analyse
        // real streams, and at -O0 the analysis cost 17 times as much a frame (2.4 ms against
        // 0.14 ms), which kept the machine saturated through the tests.
        .target(name: "PixelKernels", cSettings: [.unsafeFlags(["-O2"])]),
        // glibc's malloc_trim, for the daemon's health loop (Docs/architecture.md).
        .target(name: "CHeap"),
        // The only importer of CFFmpeg.
        .target(name: "MediaIO", dependencies: ["CFFmpeg", "CFFmpegLog", "CFreeType", "PixelKernels"]),
        // Pure analysis: the standard library and the pixel kernels.
        .target(name: "Analysis", dependencies: ["PixelKernels"], swiftSettings: [.unsafeFlags(["-O"])]),
        // The message catalogue: every operator-facing text, one table per language.
        .target(name: "Catalog"),
        // Pure ticket domain.
        .target(name: "Tickets", dependencies: ["Analysis", "Catalog"]),
        // Pure notification rules: which destination wants a change, retries, Standard
        // Webhooks and DingTalk signing (SHA-256 and HMAC of our own), messenger messages.
        .target(name: "Notify", dependencies: ["Tickets", "Catalog", "Digests"]),
        // SHA-256 and PBKDF2-HMAC-SHA256 (webhook signatures, the console's passwords), in C
        // and optimised in every build (a debug build at -O0 would take seconds a login).
        .target(name: "Digests", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "Storage", dependencies: [
            "Tickets", "Catalog", "Notify", "Digests",
            .product(name: "GRDB", package: "GRDB.swift"),
            // The shared store several daemons use (Docs/design/postgres-store.md).
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Several daemons on one PostgreSQL: nodes, camera and job leases with fencing
        // epochs (Docs/design/cluster.md). The balancing is pure; the leases are SQL.
        .target(name: "Cluster", dependencies: [
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "ControlProtocol", dependencies: ["Tickets", "Analysis", "Catalog"]),
        // Blocking HTTP over the control socket, for gridwatchctl and the end-to-end tests.
        .target(name: "ControlClient", dependencies: ["ControlProtocol", "Catalog"]),
        .target(name: "DaemonCore", dependencies: [
            "MediaIO", "Analysis", "Tickets", "Storage", "ControlProtocol", "Catalog", "Notify", "Cluster", "CHeap",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            // TLS for the callback listener off loopback (NIOSSL's BoringSSL is built for
            // PostgresNIO anyway).
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // symbol-order.txt and private-functions.ld lay out the release link (Makefile).
        .executableTarget(name: "gridwatchd", dependencies: [
            "DaemonCore", "Analysis", "MediaIO",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], exclude: ["symbol-order.txt", "private-functions.ld"]),
        // Bench and test tools (load generator, analysis timing, query plans): a target of
        // their own, never linked into the daemon.
        .target(name: "GridwatchTools", dependencies: ["DaemonCore", "Analysis", "MediaIO", "Storage", "Tickets", "Catalog", "Notify"]),
        .executableTarget(name: "gridwatch-tools", dependencies: [
            "GridwatchTools", "DaemonCore", "Analysis", "Storage",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "gridwatchctl", dependencies: [
            "ControlProtocol", "ControlClient", "Catalog", "Tickets",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Helpers shared by the tests that need real clips, servers and processes.
        .target(name: "TestSupport", dependencies: ["ControlClient", "ControlProtocol"], path: "Tests/TestSupport"),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "PixelKernels"]),
        .testTarget(name: "AnalysisQualityTests", dependencies: ["DaemonCore", "Analysis", "TestSupport"]),
        .testTarget(name: "TicketsTests", dependencies: ["Tickets", "Catalog"]),
        .testTarget(name: "NotifyTests", dependencies: ["Notify", "Tickets", "Catalog"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog"]),
        .testTarget(name: "MediaIOTests", dependencies: ["MediaIO", "PixelKernels", "TestSupport"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "Analysis", "Catalog", "Notify", "TestSupport"]),
        .testTarget(name: "DaemonCoreTests", dependencies: ["DaemonCore", "Analysis", "MediaIO", "Tickets", "Storage", "TestSupport", .product(name: "Yams", package: "Yams"), .product(name: "Hummingbird", package: "hummingbird"),
                                                       // Routes answered in process (Tests/DaemonCoreTests/InProcessClient.swift),
                                                       // not through HummingbirdTesting, whose HTTP client (AsyncHTTPClient, HTTP/2)
                                                       // is a large part of make test's build.
                                                       .product(name: "NIOEmbedded", package: "swift-nio")]),
        .testTarget(name: "EndToEndTests", dependencies: ["ControlProtocol", "ControlClient", "TestSupport", "MediaIO", "Notify"]),
        .testTarget(name: "ControlClientTests", dependencies: ["ControlClient"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "Storage", "Tickets", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
