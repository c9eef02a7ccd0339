// swift-tools-version:6.0
import PackageDescription

// The targets, by layer (docs/architecture.md has the table); arrows point down only.
// - C edge: CSystemShims, COpenSSLShims (Debian's libssl), CZlibShims, CPostgresShims (libpq's header; the library is
//   loaded at run time), CBuildInfo.
// - Domain: Scaling (dimensions, the state machine, transitions as values) imports only the standard library.
// - Engine: SystemIO → CSystemShims; Bytes (ByteWriter, and ByteSearch: glibc's memchr, ~200 fewer instructions per
//   request than a SIMD16 scan written in Swift); HTTP1 (the codec) and JSON → Bytes; Metrics → nothing;
//   EventLoop → {CSystemShims, SystemIO}; Crypto (SHA-256, HMAC, P-256 keys, base64) → COpenSSLShims; TLS → {Crypto,
//   COpenSSLShims, SystemIO}; HTTPServer → {HTTP1, EventLoop, TLS, SystemIO, CZlibShims}; HTTPClient (blocking
//   exchanges, one-shot or one after the other on a persistent connection, plain or TLS, each under a deadline) →
//   {HTTP1, TLS, SystemIO}; Webhooks (Standard Webhooks: secrets, signatures, retry schedules, endpoints, one
//   delivery attempt, a delivery thread's kept connections) → {Crypto, HTTP1, HTTPClient, SystemIO}.
// - Wiring: Configuration (a broken setting's message, settings named by field) → nothing; StoreContract (the
//   DimensionStore contract, MemoryStore) → {Scaling, SystemIO, Metrics}; FileStore → {StoreContract, Scaling,
//   JSON, SystemIO, Metrics, CZlibShims (record checksums)}; PostgresStore → the same, CPostgresShims and Configuration; StoreFactory (the one
//   target that names a concrete store) → the stores;
//   ACME → {Crypto, HTTP1, HTTPClient, TLS, JSON, SystemIO}; CapacityAPI → {HTTPServer, HTTP1, Scaling, StoreContract, JSON, Crypto},
//   never a concrete store; WebhookDelivery (the outbox's events delivered on threads of their own) →
//   {CapacityAPI, Webhooks, StoreContract}; CapacityOps (admin, import, the admin client) → {CapacityAPI, StoreFactory, HTTP1};
//   CapacityServer (the composition root) → all of these; capacityd (@main) → CapacityServer and CapacityOps.
// ACME's requests and webhook deliveries go through HTTPClient; it and the admin client read answers with HTTP1's
// ResponseParser.
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
        // SHA-256 digests, HMAC-SHA256 and P-256 keys (ES256, CSRs) through libcrypto, and base64: what API keys, the
        // ACME client and webhook signatures need.
        .target(name: "Crypto", dependencies: ["COpenSSLShims"], swiftSettings: optimized),
        .target(name: "TLS", dependencies: ["COpenSSLShims", "Crypto", "SystemIO"], swiftSettings: optimized),
        // Writing a message of many small pieces into an array in one append: response heads, JSON, log lines.
        .target(name: "Bytes", swiftSettings: optimized),
        .target(name: "HTTP1", dependencies: ["Bytes"], swiftSettings: optimized),
        // One blocking HTTP/1.1 exchange, plain or TLS, under one deadline: what ACME and webhook deliveries send.
        .target(name: "HTTPClient", dependencies: ["HTTP1", "TLS", "SystemIO"], swiftSettings: optimized),
        .target(name: "JSON", dependencies: ["Bytes"], swiftSettings: optimized),
        .target(name: "Metrics", swiftSettings: optimized),
        .target(name: "Scaling", swiftSettings: optimized),
        // A configuration rule broken, its settings named by field for the executable to call by their flags.
        .target(name: "Configuration", swiftSettings: optimized),
        .target(name: "EventLoop", dependencies: ["CSystemShims", "SystemIO"], swiftSettings: optimized),
        .target(name: "HTTPServer", dependencies: ["HTTP1", "EventLoop", "TLS", "SystemIO", "CSystemShims", "CZlibShims"],
                swiftSettings: optimized),
        .target(name: "StoreContract", dependencies: ["Scaling", "SystemIO", "Metrics"], swiftSettings: optimized),
        .target(name: "FileStore", dependencies: ["StoreContract", "Scaling", "JSON", "SystemIO", "Metrics", "CZlibShims"],
                swiftSettings: optimized),
        // The store several instances share: PostgreSQL through libpq (Debian's libpq5).
        .target(name: "PostgresStore", dependencies: ["CPostgresShims", "Configuration", "StoreContract", "Scaling", "JSON", "SystemIO", "Metrics"],
                swiftSettings: optimized),
        // The store factory: the one target that names the concrete stores.
        .target(name: "StoreFactory", dependencies: ["Configuration", "StoreContract", "FileStore", "PostgresStore", "Scaling"], swiftSettings: optimized),
        // capacityd's own ACME client (RFC 8555, HTTP-01): obtains and renews a certificate, installs it live.
        .target(name: "ACME", dependencies: ["Crypto", "HTTP1", "HTTPClient", "TLS", "JSON", "SystemIO"], swiftSettings: optimized),
        // Signed webhook deliveries (Standard Webhooks 1.0): the secret, the signature, the retry schedule, endpoints,
        // and one delivery attempt.
        .target(name: "Webhooks", dependencies: ["Crypto", "HTTP1", "HTTPClient", "SystemIO"], swiftSettings: optimized),
        // The outbox's events delivered to their receivers on threads of its own: the event's JSON, the attempts,
        // their settlement and their log lines.
        .target(name: "WebhookDelivery",
                dependencies: ["CapacityAPI", "JSON", "Scaling", "StoreContract", "SystemIO", "Webhooks"],
                swiftSettings: optimized),
        // The API: the route table, request policies, the wire format. Knows the store contract, never a store.
        .target(name: "CapacityAPI",
                dependencies: ["Bytes", "Crypto", "HTTPServer", "HTTP1", "Scaling", "StoreContract", "JSON", "SystemIO"],
                swiftSettings: optimized),
        // Commands that work on a store, directly or through a running server: admin, import.
        .target(name: "CapacityOps",
                dependencies: ["CapacityAPI", "HTTP1", "HTTPServer", "Scaling", "StoreContract", "StoreFactory", "JSON", "SystemIO"],
                swiftSettings: optimized),
        // The composition root: settings, start-up, signals, check-config, observability.
        .target(name: "CapacityServer",
                dependencies: ["ACME", "Bytes", "CapacityAPI", "Configuration", "HTTPServer", "HTTP1", "TLS", "Scaling", "StoreContract", "StoreFactory",
                               "JSON", "Metrics", "SystemIO", "WebhookDelivery", "Webhooks"],
                swiftSettings: optimized),
        .executableTarget(
            name: "capacityd",
            dependencies: [
                // Scaling, TLS and StoreFactory only for the types of option values (mode, client certificates, store),
                // Configuration for the messages of their checks.
                "CapacityServer", "CapacityOps", "Configuration", "Scaling", "TLS", "StoreFactory", "ACME", "CBuildInfo",
            ]
        ),
        .testTarget(name: "HTTP1Tests", dependencies: ["Bytes", "HTTP1"]),
        .testTarget(name: "SystemIOTests", dependencies: ["SystemIO"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"]),
        .testTarget(name: "ScalingTests", dependencies: ["Scaling"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto"]),
        .testTarget(name: "ACMEClientTests", dependencies: ["ACME", "Crypto"]),
        // Signatures checked by the standardwebhooks package (PyPI), the specification's reference verifier, also
        // in Tests/Support/webhook-receiver.py, the receiver the sender is tested against.
        .testTarget(name: "WebhooksTests", dependencies: ["Webhooks", "HTTPClient", "WebhookTestSupport"]),
        // Tests/Support/webhook-receiver.py run for a test: it verifies each delivery with PyPI's standardwebhooks.
        .target(name: "WebhookTestSupport", path: "Tests/WebhookTestSupport"),
        // The API's routes and policies, asked in memory through `LocalExchange` (Tests/CapacityAPITests/APIHarness.swift).
        .testTarget(name: "CapacityAPITests",
                    dependencies: ["CapacityAPI", "StoreContract", "HTTP1", "HTTPServer", "JSON", "Scaling", "SystemIO", "TLS"]),
        .testTarget(name: "FileStoreTests", dependencies: ["FileStore", "StoreContract", "Scaling", "SystemIO"]),
        // The DimensionStore contract, run against every store (Tests/StoreContractTests/StoreHarness.swift).
        .testTarget(name: "StoreContractTests",
                    dependencies: ["StoreContract", "FileStore", "PostgresStore", "PostgresTestServer", "Scaling", "SystemIO"]),
        // A throwaway PostgreSQL server for the tests that need one (initdb in a temporary directory).
        .target(name: "PostgresTestServer", path: "Tests/PostgresTestServer"),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "HTTP1", "EventLoop", "SystemIO"]),
        // The whole service started and stopped inside the test process, on port 0 over the memory store.
        .testTarget(name: "CapacityServerTests", dependencies: ["CapacityServer", "HTTPServer", "StoreFactory"]),
        // schemathesis.toml: what schemathesis' checks expect of the API beyond their defaults (OpenAPITests).
        .testTarget(name: "EndToEndTests", dependencies: ["capacityd", "PostgresTestServer", "JSON", "WebhookTestSupport"],
                    exclude: ["schemathesis.toml"]),
        // The properties the fuzzers check, shared with the corpus replay tests so every saved input runs in CI.
        .target(name: "FuzzChecks", dependencies: ["HTTP1", "Scaling", "StoreContract", "FileStore", "CapacityAPI"],
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
