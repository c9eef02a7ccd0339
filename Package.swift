// swift-tools-version:6.0
import PackageDescription

// Arrows point down only: capacityd → CapacityServer → {HTTPServer, TLS, Scaling, FileStore, JSON};
// HTTPServer → {HTTP1, EventLoop, TLS, CZlibShims}; TLS → COpenSSLShims (Debian's libssl); EventLoop → CSystemShims;
// FileStore → {Scaling, JSON, SystemIO, Metrics}; Metrics (histograms, Prometheus text) imports nothing.
// Scaling, HTTP1 and JSON import nothing of ours; SystemIO (the syscall funnel, descriptors, threads, locks, clock,
// files) imports only CSystemShims.
// Whole-program specialization across our modules in release builds: generic code in one target (the router,
// Result, collections of our types) is specialized where it is used instead of going through runtime metadata.
let optimized: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "capacityd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "capacityd", targets: ["capacityd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        .target(name: "CSystemShims"),
        .target(name: "CZlibShims", linkerSettings: [.linkedLibrary("z")]),
        .target(name: "COpenSSLShims", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        .target(name: "SystemIO", dependencies: ["CSystemShims"], swiftSettings: optimized),
        .target(name: "TLS", dependencies: ["COpenSSLShims", "SystemIO"], swiftSettings: optimized),
        .target(name: "HTTP1", swiftSettings: optimized),
        .target(name: "JSON", swiftSettings: optimized),
        .target(name: "Metrics", swiftSettings: optimized),
        .target(name: "Scaling", swiftSettings: optimized),
        .target(name: "EventLoop", dependencies: ["CSystemShims", "SystemIO"], swiftSettings: optimized),
        .target(name: "HTTPServer", dependencies: ["HTTP1", "EventLoop", "TLS", "SystemIO", "CSystemShims", "CZlibShims"],
                swiftSettings: optimized),
        .target(name: "FileStore", dependencies: ["Scaling", "JSON", "SystemIO", "Metrics"],
                swiftSettings: optimized),
        .target(
            name: "CapacityServer",
            dependencies: ["HTTPServer", "HTTP1", "TLS", "Scaling", "FileStore", "JSON", "Metrics", "SystemIO"],
            swiftSettings: optimized
        ),
        .executableTarget(
            name: "capacityd",
            dependencies: [
                "CapacityServer", "HTTPServer", "HTTP1", "Scaling", "TLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"]),
        .testTarget(name: "ScalingTests", dependencies: ["Scaling"]),
        .testTarget(name: "FileStoreTests", dependencies: ["FileStore", "Scaling"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "HTTP1"]),
        .testTarget(name: "EndToEndTests", dependencies: ["capacityd"]),
        // The properties the fuzzers check, shared with the corpus replay tests so every saved input runs in CI.
        .target(name: "FuzzChecks", dependencies: ["HTTP1", "Scaling", "FileStore", "CapacityServer"], path: "Fuzz/Checks"),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["FuzzChecks"]),
    ]
)

// The libFuzzer executable exists only when scripts/fuzz asks: it links libFuzzer (`-sanitize=fuzzer`), so an
// ordinary build must not see it.
if Context.environment["CAPACITYD_FUZZ_BUILD"] == "1" {
    package.targets += [
        .target(name: "CFuzzerDriver", path: "Fuzz/Driver"),
        .executableTarget(name: "capacityd-fuzz", dependencies: ["CFuzzerDriver", "FuzzChecks"], path: "Fuzz/Target"),
    ]
}
