// swift-tools-version:6.0
import PackageDescription

// Arrows point down only: capacityd → CapacityServer → {HTTPServer, Scaling, FileStore, JSON};
// HTTPServer → {HTTP1, EventLoop}; EventLoop → CSystemShims; FileStore → {Scaling, JSON, EventLoop}.
// Scaling, HTTP1 and JSON import nothing of ours.
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
        .target(name: "HTTP1", swiftSettings: optimized),
        .target(name: "JSON", swiftSettings: optimized),
        .target(name: "Scaling", swiftSettings: optimized),
        .target(name: "EventLoop", dependencies: ["CSystemShims"], swiftSettings: optimized),
        .target(name: "HTTPServer", dependencies: ["HTTP1", "EventLoop", "CSystemShims"], swiftSettings: optimized),
        .target(name: "FileStore", dependencies: ["Scaling", "JSON", "EventLoop", "CSystemShims"], swiftSettings: optimized),
        .target(
            name: "CapacityServer",
            dependencies: ["HTTPServer", "HTTP1", "EventLoop", "Scaling", "FileStore", "JSON", "CSystemShims"],
            swiftSettings: optimized
        ),
        .executableTarget(
            name: "capacityd",
            dependencies: [
                "CapacityServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "ScalingTests", dependencies: ["Scaling"]),
        .testTarget(name: "FileStoreTests", dependencies: ["FileStore", "Scaling"]),
        .testTarget(name: "EndToEndTests", dependencies: ["capacityd"]),
    ]
)
