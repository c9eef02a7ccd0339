import Foundation

private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Builds Tests/FaultInjection/faultfs.c into a preloadable library with the toolchain's clang (or cc).
func buildFaultShim(into directory: String) throws -> String {
    let library = directory + "/libfaultfs.so"
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
    let compiler = (path.split(separator: ":").map { $0 + "/clang" } + ["/usr/bin/cc"])
        .first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/cc"
    let (status, output) = try runProcess(compiler, ["-shared", "-fPIC", "-O2", "-o", library,
                                                     repositoryRoot + "/Tests/FaultInjection/faultfs.c", "-ldl"])
    guard status == 0 else { throw TestPKI.Failure(description: "cannot build the fault shim: \(output)") }
    return library
}
