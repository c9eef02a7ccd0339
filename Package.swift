// swift-tools-version:6.0
import PackageDescription

// Arrows point down only: capacityd → CapacityServer → {HTTPServer, TLS, Scaling, FileStore, JSON};
// HTTPServer → {HTTP1, EventLoop, TLS, CZlibShims}; TLS → {Crypto, COpenSSLShims} (Debian's libssl);
// Crypto (SHA-256, P-256 keys) → COpenSSLShims (libcrypto); ACME → {Crypto, TLS}; EventLoop → CSystemShims;
// FileStore → {Scaling, JSON, SystemIO, Metrics}; PostgresStore → the same and CPostgresShims (libpq's header; the library is loaded at run time); Metrics (histograms, Prometheus text) imports nothing.
// Configuration (a broken setting's message, its settings named by field) imports nothing; PostgresStore, Stores,
// CapacityServer and capacityd use it.
// ACME → {HTTP1, TLS, JSON, SystemIO} and CapacityOps → {CapacityAPI, HTTP1, HTTPServer, Stores, …}: both clients
// read their answers with HTTP1's ResponseParser, the codec the server's requests go through.
// Scaling imports nothing of ours, HTTP1 and JSON only Bytes (writing into reserved memory); SystemIO (the syscall funnel, descriptors, threads, locks, clock,
// files) imports only CSystemShims. Scaling imports only the standard library, HTTP1 only it and Bytes, whose
// ByteSearch is glibc's memchr (~200 fewer instructions per request than a SIMD16 scan written in Swift).
// Whole-program specialization across our modules in release builds: generic code in one target (the router,
// Result, collections of our types) is specialized where it is used instead of going through runtime metadata.
// Release builds also leave out the run-time exclusivity checks (a begin/end access call around every use of a
// class's stored property that the compiler cannot prove safe): callgrind measured them at 1,200 of the 15,000
// instructions a GET /time costs under wrk. Debug builds keep them, and every test runs there, plain and under
// the thread and address sanitizers, so an overlapping access still traps in the test suite.
let optimized: [SwiftSetting] = [
    .unsafeFlags(["-cross-module-optimization", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

// The commit `capacityd version` names, given by what builds releases (scripts/run, scripts/release-check, the
// Dockerfile) as CAPACITYD_COMMIT; only hex digits are taken, so the value cannot become C source. Other builds
// say "unknown", and a new commit does not rebuild them.
let commit = String((Context.environment["CAPACITYD_COMMIT"] ?? "").filter(\.isHexDigit).prefix(40))

let package = Package(
    name: "capacityd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "capacityd", targets: ["capacityd"]),
    ],
    // No packages: the command line is parsed by capacityd's own table (Sources/capacityd/Options.swift).
    dependencies: [],
    targets: [
        .target(name: "CSystemShims"),
        .target(name: "CBuildInfo", cSettings: commit.isEmpty ? [] : [.define("CAPACITYD_COMMIT", to: "\"\(commit)\"")]),
        .target(name: "CZlibShims", linkerSettings: [.linkedLibrary("z")]),
        .target(name: "COpenSSLShims", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        // libpq's header only: PostgresStore loads libpq.so.5 when a database is configured (LibPQ.swift).
        .target(name: "CPostgresShims"),
        .target(name: "SystemIO", dependencies: ["CSystemShims"], swiftSettings: optimized),
        // SHA-256 digests and P-256 keys (ES256, CSRs) through libcrypto: what API keys and the ACME client need.
        .target(name: "Crypto", dependencies: ["COpenSSLShims"], swiftSettings: optimized),
        .target(name: "TLS", dependencies: ["COpenSSLShims", "Crypto", "SystemIO"], swiftSettings: optimized),
        // Writing a message of many small pieces into an array in one append: response heads, JSON, log lines.
        .target(name: "Bytes", swiftSettings: optimized),
        .target(name: "HTTP1", dependencies: ["Bytes"], swiftSettings: optimized),
        .target(name: "JSON", dependencies: ["Bytes"], swiftSettings: optimized),
        .target(name: "Metrics", swiftSettings: optimized),
        .target(name: "Scaling", swiftSettings: optimized),
        // A configuration rule broken, its settings named by field for the executable to call by their flags.
        .target(name: "Configuration", swiftSettings: optimized),
        .target(name: "EventLoop", dependencies: ["CSystemShims", "SystemIO"], swiftSettings: optimized),
        .target(name: "HTTPServer", dependencies: ["HTTP1", "EventLoop", "TLS", "SystemIO", "CSystemShims", "CZlibShims"],
                swiftSettings: optimized),
        .target(name: "DimensionStorage", dependencies: ["Scaling", "SystemIO", "Metrics"], swiftSettings: optimized),
        .target(name: "FileStore", dependencies: ["DimensionStorage", "Scaling", "JSON", "SystemIO", "Metrics"],
                swiftSettings: optimized),
        // The store several instances share: PostgreSQL through libpq (Debian's libpq5).
        .target(name: "PostgresStore", dependencies: ["CPostgresShims", "Configuration", "DimensionStorage", "Scaling", "JSON", "SystemIO", "Metrics"],
                swiftSettings: optimized),
        // The store factory: the one target that names the concrete stores.
        .target(name: "Stores", dependencies: ["Configuration", "DimensionStorage", "FileStore", "PostgresStore", "Scaling"], swiftSettings: optimized),
        // capacityd's own ACME client (RFC 8555, HTTP-01): obtains and renews a certificate, installs it live.
        .target(name: "ACME", dependencies: ["Crypto", "HTTP1", "TLS", "JSON", "SystemIO"], swiftSettings: optimized),
        // The API: the route table, request policies, the wire format. Knows the store contract, never a store.
        .target(name: "CapacityAPI",
                dependencies: ["Bytes", "Crypto", "HTTPServer", "HTTP1", "Scaling", "DimensionStorage", "JSON", "SystemIO"],
                swiftSettings: optimized),
        // Commands that work on a store, directly or through a running server: admin, import.
        .target(name: "CapacityOps",
                dependencies: ["CapacityAPI", "HTTP1", "HTTPServer", "Scaling", "DimensionStorage", "Stores", "JSON", "SystemIO"],
                swiftSettings: optimized),
        // The composition root: settings, start-up, signals, check-config, observability.
        .target(name: "CapacityServer",
                dependencies: ["ACME", "Bytes", "CapacityAPI", "Configuration", "HTTPServer", "HTTP1", "TLS", "Scaling", "DimensionStorage", "Stores",
                               "JSON", "Metrics", "SystemIO"],
                swiftSettings: optimized),
        .executableTarget(
            name: "capacityd",
            dependencies: [
                // Scaling, TLS and Stores only for the types of option values (mode, client certificates, store),
                // Configuration for the messages of their checks.
                "CapacityServer", "CapacityOps", "Configuration", "Scaling", "TLS", "Stores", "ACME", "CBuildInfo",
            ]
        ),
        .testTarget(name: "HTTP1Tests", dependencies: ["Bytes", "HTTP1"]),
        .testTarget(name: "SystemIOTests", dependencies: ["SystemIO"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"]),
        .testTarget(name: "ScalingTests", dependencies: ["Scaling"]),
        .testTarget(name: "ACMEClientTests", dependencies: ["ACME", "Crypto"]),
        // The API's routes and policies, asked in memory through `LocalExchange` (Tests/CapacityAPITests/APIHarness.swift).
        .testTarget(name: "CapacityAPITests",
                    dependencies: ["CapacityAPI", "DimensionStorage", "HTTP1", "HTTPServer", "JSON", "Scaling", "SystemIO", "TLS"]),
        .testTarget(name: "FileStoreTests", dependencies: ["FileStore", "DimensionStorage", "Scaling", "SystemIO"]),
        // The DimensionStore contract, run against every store (Tests/StoreContractTests/StoreHarness.swift).
        .testTarget(name: "StoreContractTests",
                    dependencies: ["DimensionStorage", "FileStore", "PostgresStore", "PostgresTestServer", "Scaling", "SystemIO"]),
        // A throwaway PostgreSQL server for the tests that need one (initdb in a temporary directory).
        .target(name: "PostgresTestServer", path: "Tests/PostgresTestServer"),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "HTTP1", "EventLoop", "SystemIO"]),
        // The whole service started and stopped inside the test process, on port 0 over the memory store.
        .testTarget(name: "CapacityServerTests", dependencies: ["CapacityServer", "HTTPServer", "Stores"]),
        .testTarget(name: "EndToEndTests", dependencies: ["capacityd", "PostgresTestServer", "JSON"]),
        // The properties the fuzzers check, shared with the corpus replay tests so every saved input runs in CI.
        .target(name: "FuzzChecks", dependencies: ["HTTP1", "Scaling", "DimensionStorage", "FileStore", "CapacityAPI"],
                path: "Fuzz/Checks"),
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
