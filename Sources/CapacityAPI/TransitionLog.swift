import Bytes
import StoreContract
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
        var stampDay = ""
        /// `YYYYMMDD-HHMMSS` and a space: that second, local time, as the old sample wrote it before each line.
        var stamp: [UInt8] = []
        /// Lines not written yet, all of one day (`pendingDay`).
        var pending: [UInt8] = []
        var pendingDay = ""
        var order = LineOrder()
    }

    /// Puts the lines of a store's numbered results (`ChangeNumbers`) in the order the store decided them, whatever
    /// order the event loops that answered them log them in: each result's lines follow those of the result before
    /// it. Every numbered result a server is given is logged or passed (`pass`), so nothing waits for ever.
    private struct LineOrder: Sendable {
        struct Held: Sendable {
            let numbers: ChangeNumbers
            /// nil for a result passed, not logged.
            let record: Record?
        }

        /// Per id, the number of the latest result logged or passed.
        private var logged: [DimensionID: UInt64] = [:]
        /// Per id, results whose predecessor is not logged yet.
        private var held: [DimensionID: [Held]] = [:]

        /// Whether a result with `numbers` may be logged now, and if so, takes it as logged. By the entry's index:
        /// a line hashes its id once here.
        mutating func advance(_ id: DimensionID, _ numbers: ChangeNumbers) -> Bool {
            if let index = logged.index(forKey: id) {
                guard numbers.before == 0 || logged.values[index] == numbers.before else { return false }
                logged.values[index] = numbers.after
                return true
            }
            guard numbers.before == 0 else { return false }
            logged[id] = numbers.after
            return true
        }

        mutating func hold(_ id: DimensionID, _ record: Held) {
            held[id, default: []].append(record)
        }

        /// The held result of `id` that may follow now, if any, taken as logged.
        mutating func takeNext(_ id: DimensionID) -> Held? {
            guard !held.isEmpty, var records = held[id] else { return nil }
            for index in records.indices where advance(id, records[index].numbers) {
                let record = records.remove(at: index)
                held[id] = records.isEmpty ? nil : records
                return record
            }
            return nil
        }
    }

    /// Written at once past this size, without waiting for the loop's turn to end.
    static let flushBytes = 65_536

    private let directory: String
    private let file = Locked(OpenFile())

    public init(directory: String) {
        self.directory = directory
    }

    /// Logs a request that was answered `200` and what it did: `before` is the dimension as it was, or the
    /// defaults it was created with (the old sample created them first, then applied the request to them); `after`
    /// is the dimension it left, rendered, as the caller answers with it too. Refusals are not logged here: the old
    /// sample never wrote them, and the access log has them. With the store's `numbers`, the lines wait for those
    /// of the change they follow (`LineOrder`).
    func record(method: String, body: [UInt8], before: Dimension, after: RenderedDimension, numbers: ChangeNumbers?) {
        file.withLock { open in
            if let numbers {
                let id = after.dimension.id
                guard open.order.advance(id, numbers) else {
                    let record = Record(method: method, body: body, before: before, after: after)
                    open.order.hold(id, LineOrder.Held(numbers: numbers, record: record))
                    return
                }
                append(method: method, body: body, before: before, after: after, &open)
                release(id, &open)
            } else {
                append(method: method, body: body, before: before, after: after, &open)
            }
        }
    }

    /// Takes the place of a numbered result that is not logged (an administrator's edit), so the lines of the
    /// results after it do not wait for it.
    func pass(id: DimensionID, numbers: ChangeNumbers) {
        file.withLock { open in
            guard open.order.advance(id, numbers) else {
                open.order.hold(id, LineOrder.Held(numbers: numbers, record: nil))
                return
            }
            release(id, &open)
        }
    }

    /// A request's lines held until the result before it is logged.
    private struct Record: Sendable {
        let method: String
        let body: [UInt8]
        let before: Dimension
        let after: RenderedDimension
    }

    /// Called with the lock held: writes the held records of `id` that may follow now, in order.
    private func release(_ id: DimensionID, _ open: inout OpenFile) {
        while let held = open.order.takeNext(id) {
            if let record = held.record {
                append(method: record.method, body: record.body, before: record.before, after: record.after, &open)
            }
        }
    }

    /// Called with the lock held: appends a request's two lines, stamped, to what `flush` writes.
    private func append(method: String, body: [UInt8], before: Dimension, after rendered: RenderedDimension,
                        _ open: inout OpenFile) {
        let after = rendered.dimension
        // The id the lines name is the dimension's own: the rendered lines name it too.
        let id = after.id.value
        // A GET's request line, and the response line of a request that changed nothing, come from the
        // dimension's rendering (`RenderedDimension`, kept while the dimension is unchanged, as the response's
        // JSON is); the rest is built straight into the pending bytes.
        let loggedBody = Self.loggedBody(body)
        let isPlainGet = method == "GET" && body.isEmpty
        let isUnchanged = before == after
        // Read under the lock, so stamps never go back a second between neighbouring lines. The coarse clock (the
        // kernel's last tick, a fifth of a precise reading's cost) may be a few milliseconds behind, which a stamp
        // in whole seconds can afford.
        let epochSeconds = Clock.epochSecondsCoarse()
        if open.second != epochSeconds {
            open.second = epochSeconds
            let stamps = WallClock.localStamps(epochSeconds: epochSeconds)
            open.stampDay = stamps.day
            open.stamp = Array(stamps.stamp.utf8)
            open.stamp.append(UInt8(ascii: " "))
        }
        if open.pendingDay != open.stampDay {
            writePending(&open)
            open.pendingDay = open.stampDay
        }
        let stamp = open.stamp
        // Two stamps and ids, the body, four capacities (Python reprs are at most 24 bytes), the rest literals.
        let bound = 2 * (stamp.count + id.utf8.count) + method.utf8.count + loggedBody.count + 4 * 32 + 160
        ByteWriter.append(to: &open.pending, atMost: bound) { out in
            out.append(stamp)
            if isPlainGet {
                out.append(rendered.getRequestLine)
            } else {
                Self.appendRequestLine(method: method, id: id, loggedBody: loggedBody, to: &out)
            }
            out.append(byte: 10)
            out.append(stamp)
            if isUnchanged {
                out.append(rendered.unchangedResponseLine)
            } else {
                Self.appendResponseLine(id: id, before: before, after: after, to: &out)
            }
            out.append(byte: 10)
        }
        if open.pending.count >= Self.flushBytes { writePending(&open) }
    }

    /// Writes what was logged since the last flush: the event loops call it after each turn.
    public func flush() {
        file.withLock { writePending(&$0) }
    }

    /// `Request: PATCH dimensionId: ID {"desiredCapacity": 2}`, the body as the old sample's `json.dumps` wrote
    /// what it read; a GET ends in the space before the body it does not have.
    static func requestLine(method: String, id: String, body: [UInt8]) -> String {
        String(decoding: requestLineBytes(method: method, id: id, body: body), as: UTF8.self)
    }

    static func requestLineBytes(method: String, id: String, body: [UInt8]) -> [UInt8] {
        let loggedBody = loggedBody(body)
        var line: [UInt8] = []
        ByteWriter.append(to: &line, atMost: method.utf8.count + id.utf8.count + loggedBody.count + 32) {
            appendRequestLine(method: method, id: id, loggedBody: loggedBody, to: &$0)
        }
        return line
    }

    static func appendRequestLine(method: String, id: String, loggedBody: [UInt8], to line: inout ByteWriter) {
        line.append("Request: ")
        line.append(text: method)
        line.append(" dimensionId: ")
        line.append(text: id)
        line.append(byte: UInt8(ascii: " "))
        line.append(loggedBody)
    }

    /// The body as the old sample's `json.dumps` wrote what it read; nothing for a GET.
    private static func loggedBody(_ body: [UInt8]) -> [UInt8] {
        guard !body.isEmpty else { return [] }
        if let logged = PythonJSON.dumps(body) { return Array(logged.utf8) }
        // Not reached for a body the API accepted; kept on one line all the same, so it cannot forge lines.
        return body.map { $0 == 10 || $0 == 13 ? UInt8(ascii: " ") : $0 }
    }

    /// `Response: dimensionId: ID  ` and what changed, in the old sample's order and spacing
    /// (`desiredCapacity: 1.0 -> 2.0  actualCapacity: 1.0 -> 2.0  scalingStatus: Successful -> Pending`), or
    /// `actualCapacity: X = desiredCapacity: Y  ` when nothing it reports did. Capacities as Python's `str(float)`.
    static func responseLine(id: String, before: Dimension, after: Dimension) -> String {
        String(decoding: responseLineBytes(id: id, before: before, after: after), as: UTF8.self)
    }

    static func responseLineBytes(id: String, before: Dimension, after: Dimension) -> [UInt8] {
        var line: [UInt8] = []
        ByteWriter.append(to: &line, atMost: id.utf8.count + 4 * 32 + 160) {
            appendResponseLine(id: id, before: before, after: after, to: &$0)
        }
        return line
    }

    static func appendResponseLine(id: String, before: Dimension, after: Dimension, to line: inout ByteWriter) {
        line.append("Response: dimensionId: ")
        line.append(text: id)
        line.append("  ")
        let start = line.count
        if before.desiredCapacity != after.desiredCapacity {
            line.append("desiredCapacity: ")
            py(before.desiredCapacity, &line)
            line.append(" -> ")
            py(after.desiredCapacity, &line)
            line.append("  ")
        }
        if before.actualCapacity != after.actualCapacity {
            line.append("actualCapacity: ")
            py(before.actualCapacity, &line)
            line.append(" -> ")
            py(after.actualCapacity, &line)
            line.append("  ")
        }
        if before.scalingStatus != after.scalingStatus {
            line.append("scalingStatus: ")
            line.append(text: before.scalingStatus.rawValue)
            line.append(" -> ")
            line.append(text: after.scalingStatus.rawValue)
        }
        if line.count == start {
            line.append("actualCapacity: ")
            py(after.actualCapacity, &line)
            line.append(" = desiredCapacity: ")
            py(after.desiredCapacity, &line)
            line.append("  ")
        }
    }

    /// Python's `str(float)`: whole capacities directly, anything else through `PythonJSON.floatRepr`.
    private static func py(_ capacity: Double, _ line: inout ByteWriter) {
        if !JSONWriter.appendWholeNumber(capacity, atMost: 9_999_999_999_999_998, to: &line) {
            line.append(text: PythonJSON.floatRepr(capacity))
        }
    }

    /// Closes the current file so the next line reopens it: after logrotate moved it (SIGHUP). What was logged
    /// before goes to the old file first.
    public func reopen() {
        file.withLock { open in
            writePending(&open)
            // A new file, the same order: the lines of results before the reopen are still what later ones follow.
            open = OpenFile(order: open.order)
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
