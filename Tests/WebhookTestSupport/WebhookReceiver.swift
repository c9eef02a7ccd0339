import Foundation

/// The virtualenv `scripts/test` makes, with the `standardwebhooks` package (the reference verifier).
public let venvPython = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path + "/.build-venv/bin/python"

/// Tests/Support/webhook-receiver.py.
let receiverScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .path + "/Support/webhook-receiver.py"

/// Tests/Support/webhook-receiver.py running on a port of its own for one test, stopped when the test lets go of it:
/// it verifies every delivery with `standardwebhooks` and logs it.
public final class WebhookReceiver: @unchecked Sendable {
    private let process = Process()
    public let port: Int
    public let log: String

    /// `port`: a port to bind (0: any free one).
    public init(secret: String, port: Int = 0, _ arguments: [String] = []) throws {
        log = NSTemporaryDirectory() + "capacityd-webhooks-" + UUID().uuidString + ".jsonl"
        process.executableURL = URL(fileURLWithPath: venvPython)
        process.arguments = [receiverScript, "--secret", secret, "--log", log, "--port", String(port)] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            line += chunk
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw Failure(description: "the receiver did not start: \(String(decoding: line, as: UTF8.self))")
        }
        self.port = port
    }

    /// SIGKILL: a child started from a test's thread inherits its blocked signals, SIGTERM among them.
    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: log)
    }

    /// One entry per POST received, in order.
    public func deliveries() throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }
}
