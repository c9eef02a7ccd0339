// swift-tools-version:6.0
import PackageDescription

// Arrows point down only: capacityd → CapacityServer → {HTTPServer, Scaling, FileStore, JSON};
// HTTPServer → {HTTP1, EventLoop}; EventLoop → CSystemShims; FileStore → {Scaling, JSON, EventLoop}.
// Scaling, HTTP1 and JSON import nothing of ours.
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
        .target(name: "HTTP1"),
        .target(name: "JSON"),
        .target(name: "Scaling"),
        .target(name: "EventLoop", dependencies: ["CSystemShims"]),
        .target(name: "HTTPServer", dependencies: ["HTTP1", "EventLoop", "CSystemShims"]),
        .target(name: "FileStore", dependencies: ["Scaling", "JSON", "EventLoop", "CSystemShims"]),
        .target(
            name: "CapacityServer",
            dependencies: ["HTTPServer", "HTTP1", "EventLoop", "Scaling", "FileStore", "JSON", "CSystemShims"]
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
