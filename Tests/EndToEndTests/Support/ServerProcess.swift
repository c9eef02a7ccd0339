import Foundation
import Testing

/// The real `capacityd` binary, started on a free 127.0.0.1 port with a state directory of its own.
/// stdout (the access log) and stderr go to files in that directory so a test can read them afterwards.
final class ServerProcess {
    let directory: String
    let stateDirectory: String
    private(set) var port: UInt16 = 0
    private let arguments: [String]
    private var process: Process?

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["CAPACITYD_BIN"] { return path }
        // The test bundle runs from the build products directory, where `capacityd` was built beside it.
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("capacityd").path
    }

    /// `arguments` come after `serve --http 127.0.0.1:0 --state-dir DIR --event-loops 2`.
    init(_ arguments: [String] = [], directory: String? = nil) throws {
        self.directory = directory ?? Self.temporaryDirectory()
        stateDirectory = self.directory + "/state"
        self.arguments = arguments
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
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--http", "127.0.0.1:0", "--state-dir", stateDirectory, "--event-loops", "2"]
            + arguments
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let port = Self.listeningPort(in: stderr) {
                self.port = port
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

    /// `capacityd: listening on http://127.0.0.1:40123 ...` → 40123 (the first address).
    static func listeningPort(in text: String) -> UInt16? {
        guard let line = text.split(separator: "\n").first(where: { $0.contains("listening on http://") }),
              let range = line.range(of: "listening on http://") else { return nil }
        let address = line[range.upperBound...].prefix { $0 != " " }
        guard let colon = address.lastIndex(of: ":") else { return nil }
        return UInt16(address[address.index(after: colon)...])
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
func runCapacityd(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ServerProcess.binary)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
