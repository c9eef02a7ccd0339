import Foundation

/// Tests/Support/webhook-receiver.py running on a port of its own for one test, stopped when the test lets go of it.
final class WebhookReceiver {
    private let process = Process()
    let port: Int
    let log: String

    init(secret: String, _ arguments: [String] = []) throws {
        log = NSTemporaryDirectory() + "capacityd-webhooks-" + UUID().uuidString + ".jsonl"
        process.executableURL = URL(fileURLWithPath: venvPython)
        process.arguments = [receiverScript, "--secret", secret, "--log", log] + arguments
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
    func deliveries() throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }
}
