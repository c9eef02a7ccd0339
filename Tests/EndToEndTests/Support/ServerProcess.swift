import Foundation
import Testing

/// The real `capacityd` binary, started on a free 127.0.0.1 port with a state directory of its own.
/// stdout (the access log) and stderr go to files in that directory so a test can read them afterwards.
final class ServerProcess {
    let directory: String
    let stateDirectory: String
    /// The first plain-HTTP port (0 without one) and the first HTTPS port (0 without one).
    private(set) var port: UInt16 = 0
    private(set) var tlsPort: UInt16 = 0
    /// The `--metrics-listen` port (0 without one).
    private(set) var metricsPort: UInt16 = 0
    private let arguments: [String]
    private let environment: [String: String]
    private let defaultArguments: Bool
    private var process: Process?

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["CAPACITYD_BIN"] { return path }
        // The test bundle runs from the build products directory, where `capacityd` was built beside it.
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("capacityd").path
    }

    /// `arguments` come after `serve --http 127.0.0.1:0 --state-dir DIR --event-loops 2`; a test that wants
    /// no plain HTTP passes `--no-http`.
    /// `environment` is added to the test's own; `defaultArguments: false` runs `capacityd` with `arguments` alone
    /// (for configuration that comes from the environment).
    init(_ arguments: [String] = [], environment: [String: String] = [:], directory: String? = nil,
         defaultArguments: Bool = true) throws {
        self.directory = directory ?? Self.temporaryDirectory()
        stateDirectory = self.directory + "/state"
        self.arguments = arguments
        self.environment = environment
        self.defaultArguments = defaultArguments
        try start()
    }

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "capacityd-e2e-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    var stdoutPath: String { directory + "/stdout" }
    var stderrPath: String { directory + "/stderr" }
    var baseURL: String { "http://127.0.0.1:\(port)" }
    var pid: Int32 { process?.processIdentifier ?? 0 }

    /// Starts (or restarts) the binary and waits for its "listening on" line.
    func start() throws {
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = defaultArguments
            ? ["serve", "--http", "127.0.0.1:0", "--state-dir", stateDirectory, "--event-loops", "2"] + arguments
            : arguments
        var inherited = ProcessInfo.processInfo.environment
        // scripts/sanitize address: leak checks for the server, not for this test runner.
        if let serverOptions = inherited["CAPACITYD_SERVER_ASAN_OPTIONS"] { inherited["ASAN_OPTIONS"] = serverOptions }
        process.environment = inherited.merging(environment) { $1 }
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try spawning { try process.run() }
        self.process = process
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let text = stderr
            if text.contains("listening on ") {
                port = Self.listeningPort(in: text) ?? 0
                tlsPort = Self.listeningPort(in: text, scheme: "https") ?? 0
                metricsPort = Self.listeningPort(in: text, scheme: "metrics=http") ?? 0
                return
            }
            guard process.isRunning else { break }
            usleep(5_000)
        }
        throw StartFailed(stderr: stderr)
    }

    struct StartFailed: Error, CustomStringConvertible {
        let stderr: String
        var description: String { "capacityd did not start: \(stderr)" }
    }

    /// `capacityd: listening on http://127.0.0.1:40123 https://127.0.0.1:40124 (...)` → 40123 for "http",
    /// 40124 for "https" (the first address of each scheme).
    static func listeningPort(in text: String, scheme: String = "http") -> UInt16? {
        guard let line = text.split(separator: "\n").first(where: { $0.contains("listening on ") }) else { return nil }
        for word in line.split(separator: " ") where word.hasPrefix(scheme + "://") {
            guard let colon = word.lastIndex(of: ":") else { return nil }
            return UInt16(word[word.index(after: colon)...])
        }
        return nil
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process?.isRunning ?? false }

    func signal(_ signal: Int32) {
        if let process { kill(process.processIdentifier, signal) }
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status.
    @discardableResult
    func stop(timeout: TimeInterval = 30) -> Int32 {
        guard let process else { return -1 }
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        return wait(timeout: timeout)
    }

    /// Waits for the process to end on its own (or after a signal); -1 if it is still running at the deadline.
    func wait(timeout: TimeInterval) -> Int32 {
        guard let process else { return -1 }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -1
        }
        return process.terminationStatus
    }

    /// `kill -9`: no chance to flush or close anything.
    func crash() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Runs `capacityd` with arguments to completion (for the subcommands that are not `serve`).
func runCapacityd(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    try runProcess(ServerProcess.binary, arguments, environment: environment)
}

/// Runs a program to completion with `input` on its stdin; returns its exit status and stdout+stderr.
func runProcess(_ executable: String, _ arguments: [String], input: String = "",
                environment: [String: String]? = nil, directory: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if let environment {
        var inherited = ProcessInfo.processInfo.environment
        // scripts/sanitize address: leak checks for the server, not for this test runner.
        if let serverOptions = inherited["CAPACITYD_SERVER_ASAN_OPTIONS"] { inherited["ASAN_OPTIONS"] = serverOptions }
        process.environment = inherited.merging(environment) { $1 }
    }
    let output = Pipe()
    let stdin = Pipe()
    process.standardOutput = output
    process.standardError = output
    process.standardInput = stdin
    try spawning { try process.run() }
    // A process that exits without reading (a usage error) closes its stdin: the write fails, its output says why.
    try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
    try? stdin.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Every child process of the tests is started through this, one at a time. Foundation's Process learns that a
/// child exited when every copy of a descriptor it made for that child is closed; a child started by another thread
/// at the same moment can inherit that descriptor before it is marked close-on-exec, and then the first child's
/// exit goes unnoticed until the second exits (of three servers started at once, the first may never be reaped).
private let spawnLock = NSLock()

func spawning<R>(_ body: () throws -> R) rethrows -> R {
    try spawnLock.withLock { try body() }
}
