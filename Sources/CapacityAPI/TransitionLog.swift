import Glibc
import Scaling
import SystemIO

/// The old sample's transition log, line for line, so operators' `tail -f` keeps working: one file per day,
/// `api-YYYYMMDD` in the log directory, with a `Request:` line and a `Response:` line per dimension request.
/// Lines are appended with O_APPEND (each record pair is one write, so concurrent writers never interleave) and
/// are not fsync'd: the store, not this log, is the record of truth.
public final class TransitionLog: Sendable {
    private struct OpenFile {
        var day = ""
        var file: FileDescriptor?
        /// The time stamps of the last second logged: formatting them costs more than writing the line.
        var second = -1
        var stamps = (day: "", stamp: "")
    }

    private let directory: String
    private let file = Locked(OpenFile())

    public init(directory: String) {
        self.directory = directory
    }

    /// Logs a request and what it did. `body` is the request body as sent (empty for GET).
    func record(method: String, id: String, body: [UInt8], outcome: Result<DimensionChange, ScalingError>) {
        let (day, stamp) = stamps(epochSeconds: WallClock.now().seconds)
        var line = Array("\(stamp) Request: \(method) dimensionId: \(id)".utf8)
        if !body.isEmpty {
            line.append(UInt8(ascii: " "))
            // The body is logged on one line whatever it contains: line breaks would forge log lines.
            line.append(contentsOf: body.map { $0 == 10 || $0 == 13 ? UInt8(ascii: " ") : $0 })
        }
        line.append(contentsOf: "\n\(stamp) Response: dimensionId: \(id)  ".utf8)
        line.append(contentsOf: Self.describe(outcome).utf8)
        line.append(10)
        append(line, day: day)
    }

    /// `desiredCapacity: 1.0 -> 2.0  scalingStatus: Successful -> Pending` for what changed, or the old sample's
    /// `actualCapacity: X = desiredCapacity: Y  ` when nothing did.
    static func describe(_ outcome: Result<DimensionChange, ScalingError>) -> String {
        switch outcome {
        case .failure(let error):
            return "error: \(APIError.status(for: error).code) \(error.message)"
        case .success(let change):
            let after = change.after
            guard let before = change.before else {
                return "created  actualCapacity: \(after.actualCapacity) = desiredCapacity: \(after.desiredCapacity)  "
            }
            var parts: [String] = []
            if before.actualCapacity != after.actualCapacity {
                parts.append("actualCapacity: \(before.actualCapacity) -> \(after.actualCapacity)")
            }
            if before.desiredCapacity != after.desiredCapacity {
                parts.append("desiredCapacity: \(before.desiredCapacity) -> \(after.desiredCapacity)")
            }
            if before.scalingStatus != after.scalingStatus {
                parts.append("scalingStatus: \(before.scalingStatus.rawValue) -> \(after.scalingStatus.rawValue)")
            }
            if before.failureReason != after.failureReason {
                parts.append("failureReason: \(before.failureReason ?? "none") -> \(after.failureReason ?? "none")")
            }
            if parts.isEmpty { return "actualCapacity: \(after.actualCapacity) = desiredCapacity: \(after.desiredCapacity)  " }
            return parts.joined(separator: "  ")
        }
    }

    private func stamps(epochSeconds: Int) -> (day: String, stamp: String) {
        file.withLock { open in
            if open.second != epochSeconds {
                open.second = epochSeconds
                open.stamps = WallClock.localStamps(epochSeconds: epochSeconds)
            }
            return open.stamps
        }
    }

    /// Closes the current file so the next line reopens it: after logrotate moved it (SIGHUP).
    public func reopen() {
        file.withLock { open in
            open = OpenFile()
        }
    }

    private func append(_ line: [UInt8], day: String) {
        file.withLock { open in
            if open.day != day || open.file == nil {
                open.day = day
                open.file = try? FileSystem.open(directory + "/api-" + day, flags: O_WRONLY | O_APPEND | O_CREAT,
                                                 mode: 0o640)
            }
            // An unwritable log must not take the API down.
            guard let file = open.file else { return }
            try? FileSystem.writeAll(line, to: file.rawValue)
        }
    }
}
