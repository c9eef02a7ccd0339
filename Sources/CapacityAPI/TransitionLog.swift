import Glibc
import JSON
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

    /// Logs a request that was answered `200` and what it did: `before` is the dimension as it was, or the
    /// defaults it was created with (the old sample created them first, then applied the request to them).
    /// Refusals are not logged here: the old sample never wrote them, and the access log has them.
    func record(method: String, id: String, body: [UInt8], before: Dimension, after: Dimension) {
        let (day, stamp) = stamps(epochSeconds: WallClock.now().seconds)
        var line: [UInt8] = []
        line.reserveCapacity(2 * stamp.utf8.count + 2 * id.utf8.count + body.count + 160)
        for part in [stamp, " ", Self.requestLine(method: method, id: id, body: body), "\n",
                     stamp, " ", Self.responseLine(id: id, before: before, after: after), "\n"] {
            line.append(contentsOf: part.utf8)
        }
        append(line, day: day)
    }

    /// `Request: PATCH dimensionId: ID {"desiredCapacity": 2}`, the body as the old sample's `json.dumps` wrote
    /// what it read; a GET ends in the space before the body it does not have.
    static func requestLine(method: String, id: String, body: [UInt8]) -> String {
        let logged = body.isEmpty ? "" : PythonJSON.dumps(body)
            // Not reached for a body the API accepted; kept on one line all the same, so it cannot forge lines.
            ?? String(decoding: body.map { $0 == 10 || $0 == 13 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        return "Request: \(method) dimensionId: \(id) " + logged
    }

    /// `Response: dimensionId: ID  ` and what changed, in the old sample's order and spacing
    /// (`desiredCapacity: 1.0 -> 2.0  actualCapacity: 1.0 -> 2.0  scalingStatus: Successful -> Pending`), or
    /// `actualCapacity: X = desiredCapacity: Y  ` when nothing it reports did. Capacities as Python's `str(float)`.
    static func responseLine(id: String, before: Dimension, after: Dimension) -> String {
        var line = "Response: dimensionId: "
        line.reserveCapacity(id.utf8.count + 120)
        line += id
        line += "  "
        let start = line.endIndex
        if before.desiredCapacity != after.desiredCapacity {
            line += "desiredCapacity: \(py(before.desiredCapacity)) -> \(py(after.desiredCapacity))  "
        }
        if before.actualCapacity != after.actualCapacity {
            line += "actualCapacity: \(py(before.actualCapacity)) -> \(py(after.actualCapacity))  "
        }
        if before.scalingStatus != after.scalingStatus {
            line += "scalingStatus: \(before.scalingStatus.rawValue) -> \(after.scalingStatus.rawValue)"
        }
        if line.endIndex == start {
            line += "actualCapacity: \(py(after.actualCapacity)) = desiredCapacity: \(py(after.desiredCapacity))  "
        }
        return line
    }

    private static func py(_ capacity: Double) -> String { PythonJSON.floatRepr(capacity) }

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
