import Glibc
import JSON
import Scaling
import SystemIO

/// The old sample's transition log, line for line, so operators' `tail -f` keeps working: one file per day,
/// `api-YYYYMMDD` in the log directory, with a `Request:` line and a `Response:` line per dimension request.
/// Lines are gathered in memory in the order they are logged and written with O_APPEND by `flush`, which the
/// event loops call once per turn (and shutdown once more), so a busy server makes one write per turn, not one
/// per request; a record pair never straddles two writes. They are not fsync'd: the store, not this log, is the
/// record of truth.
public final class TransitionLog: Sendable {
    private struct OpenFile {
        var day = ""
        var file: FileDescriptor?
        /// The time stamps of the last second logged: formatting them costs more than writing the line.
        var second = -1
        var stamps = (day: "", stamp: "")
        /// Lines not written yet, all of one day (`pendingDay`).
        var pending: [UInt8] = []
        var pendingDay = ""
    }

    /// Written at once past this size, without waiting for the loop's turn to end.
    static let flushBytes = 65_536

    private let directory: String
    private let file = Locked(OpenFile())

    public init(directory: String) {
        self.directory = directory
    }

    /// Logs a request that was answered `200` and what it did: `before` is the dimension as it was, or the
    /// defaults it was created with (the old sample created them first, then applied the request to them).
    /// Refusals are not logged here: the old sample never wrote them, and the access log has them.
    func record(method: String, id: String, body: [UInt8], before: Dimension, after: Dimension) {
        // Built outside the lock; only the stamps and the copy into the pending lines take it.
        var request: [UInt8] = []
        request.reserveCapacity(id.utf8.count + body.count + 40)
        Self.appendRequestLine(method: method, id: id, body: body, to: &request)
        var response: [UInt8] = []
        response.reserveCapacity(id.utf8.count + 120)
        Self.appendResponseLine(id: id, before: before, after: after, to: &response)
        file.withLock { open in
            // Read under the lock, so stamps never go back a second between neighbouring lines.
            let epochSeconds = WallClock.now().seconds
            if open.second != epochSeconds {
                open.second = epochSeconds
                open.stamps = WallClock.localStamps(epochSeconds: epochSeconds)
            }
            let (day, stamp) = open.stamps
            if open.pendingDay != day {
                writePending(&open)
                open.pendingDay = day
            }
            open.pending.append(contentsOf: stamp.utf8)
            open.pending.append(UInt8(ascii: " "))
            open.pending.append(contentsOf: request)
            open.pending.append(10)
            open.pending.append(contentsOf: stamp.utf8)
            open.pending.append(UInt8(ascii: " "))
            open.pending.append(contentsOf: response)
            open.pending.append(10)
            if open.pending.count >= Self.flushBytes { writePending(&open) }
        }
    }

    /// Writes what was logged since the last flush: the event loops call it after each turn.
    public func flush() {
        file.withLock { writePending(&$0) }
    }

    /// `Request: PATCH dimensionId: ID {"desiredCapacity": 2}`, the body as the old sample's `json.dumps` wrote
    /// what it read; a GET ends in the space before the body it does not have.
    static func requestLine(method: String, id: String, body: [UInt8]) -> String {
        var line: [UInt8] = []
        appendRequestLine(method: method, id: id, body: body, to: &line)
        return String(decoding: line, as: UTF8.self)
    }

    static func appendRequestLine(method: String, id: String, body: [UInt8], to line: inout [UInt8]) {
        JSONWriter.appendLiteral("Request: ", to: &line)
        line.append(contentsOf: method.utf8)
        JSONWriter.appendLiteral(" dimensionId: ", to: &line)
        line.append(contentsOf: id.utf8)
        line.append(UInt8(ascii: " "))
        guard !body.isEmpty else { return }
        if let logged = PythonJSON.dumps(body) {
            line.append(contentsOf: logged.utf8)
        } else {
            // Not reached for a body the API accepted; kept on one line all the same, so it cannot forge lines.
            line.append(contentsOf: body.map { $0 == 10 || $0 == 13 ? UInt8(ascii: " ") : $0 })
        }
    }

    /// `Response: dimensionId: ID  ` and what changed, in the old sample's order and spacing
    /// (`desiredCapacity: 1.0 -> 2.0  actualCapacity: 1.0 -> 2.0  scalingStatus: Successful -> Pending`), or
    /// `actualCapacity: X = desiredCapacity: Y  ` when nothing it reports did. Capacities as Python's `str(float)`.
    static func responseLine(id: String, before: Dimension, after: Dimension) -> String {
        var line: [UInt8] = []
        appendResponseLine(id: id, before: before, after: after, to: &line)
        return String(decoding: line, as: UTF8.self)
    }

    static func appendResponseLine(id: String, before: Dimension, after: Dimension, to line: inout [UInt8]) {
        JSONWriter.appendLiteral("Response: dimensionId: ", to: &line)
        line.append(contentsOf: id.utf8)
        JSONWriter.appendLiteral("  ", to: &line)
        let start = line.count
        if before.desiredCapacity != after.desiredCapacity {
            JSONWriter.appendLiteral("desiredCapacity: ", to: &line)
            py(before.desiredCapacity, &line)
            JSONWriter.appendLiteral(" -> ", to: &line)
            py(after.desiredCapacity, &line)
            JSONWriter.appendLiteral("  ", to: &line)
        }
        if before.actualCapacity != after.actualCapacity {
            JSONWriter.appendLiteral("actualCapacity: ", to: &line)
            py(before.actualCapacity, &line)
            JSONWriter.appendLiteral(" -> ", to: &line)
            py(after.actualCapacity, &line)
            JSONWriter.appendLiteral("  ", to: &line)
        }
        if before.scalingStatus != after.scalingStatus {
            JSONWriter.appendLiteral("scalingStatus: ", to: &line)
            line.append(contentsOf: before.scalingStatus.rawValue.utf8)
            JSONWriter.appendLiteral(" -> ", to: &line)
            line.append(contentsOf: after.scalingStatus.rawValue.utf8)
        }
        if line.count == start {
            JSONWriter.appendLiteral("actualCapacity: ", to: &line)
            py(after.actualCapacity, &line)
            JSONWriter.appendLiteral(" = desiredCapacity: ", to: &line)
            py(after.desiredCapacity, &line)
            JSONWriter.appendLiteral("  ", to: &line)
        }
    }

    /// Python's `str(float)`: whole capacities directly, anything else through `PythonJSON.floatRepr`.
    private static func py(_ capacity: Double, _ line: inout [UInt8]) {
        if !JSONWriter.appendWholeNumber(capacity, atMost: 9_999_999_999_999_998, to: &line) { line.append(contentsOf: PythonJSON.floatRepr(capacity).utf8) }
    }

    /// Closes the current file so the next line reopens it: after logrotate moved it (SIGHUP). What was logged
    /// before goes to the old file first.
    public func reopen() {
        file.withLock { open in
            writePending(&open)
            open = OpenFile()
        }
    }

    /// Called with the lock held, so writes leave in the order the lines were logged.
    private func writePending(_ open: inout OpenFile) {
        guard !open.pending.isEmpty else { return }
        defer { open.pending.removeAll(keepingCapacity: open.pending.capacity <= 4 * Self.flushBytes) }
        let day = open.pendingDay
        if open.day != day || open.file == nil {
            open.day = day
            open.file = try? FileSystem.open(directory + "/api-" + day, flags: O_WRONLY | O_APPEND | O_CREAT, mode: 0o640)
        }
        // An unwritable log must not take the API down.
        guard let file = open.file else { return }
        try? FileSystem.writeAll(open.pending, to: file.rawValue)
    }
}
