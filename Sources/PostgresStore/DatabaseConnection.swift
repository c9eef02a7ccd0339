import CPostgresShims
import Glibc
import SystemIO

/// One libpq connection, used by one thread at a time. Statements are sent with libpq's non-blocking calls and
/// their answers awaited with `poll` against a deadline, so a database that stops answering (paused, partitioned)
/// costs a bounded wait, never a hung thread. Text in, text out: parameters and values are strings.
/// Unchecked Sendable: a connection is handed to the thread that owns it, never shared.
final class DatabaseConnection: @unchecked Sendable {
    private let connection: OpaquePointer
    private let pq: LibPQ
    /// How long past the server's statement timeout capacityd waits for an answer before giving up on it.
    private let answerDeadlineMilliseconds: Int
    /// Why the connection stopped working, in libpq's words: the first loss it reported, for the server's log.
    private(set) var lostBecause: String?

    /// Connects, then sets the session up in one round trip: `synchronous_commit=on` whatever the server's default
    /// (an acknowledged change must survive a crash of the database), the statement and lock timeouts, and
    /// `extra_float_digits=3`, so a capacity turned into text or JSON by the server (an outbox event's state) is
    /// its shortest exact form whatever a role's or database's default.
    /// `applicationName` names the session in `pg_stat_activity` unless the URL or `PGAPPNAME` names it.
    init(_ settings: DatabaseSettings, applicationName: String = "capacityd") throws(DatabaseError) {
        let pq: LibPQ
        switch LibPQ.loaded {
        case .success(let loaded): pq = loaded
        case .failure(let error): throw .connect(error.description)
        }
        let parameters = settings.connectionParameters(applicationName: applicationName)
        let keywords = parameters.map { strdup($0.keyword) } + [nil]
        let values = parameters.map { strdup($0.value) } + [nil]
        defer {
            for pointer in keywords + values { free(pointer) }
        }
        let made = keywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { keywordPointers in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valuePointers in
                pq.PQconnectdbParams(keywordPointers.baseAddress, valuePointers.baseAddress, 1)
            }
        }
        guard let made else { throw .connect("out of memory") }
        guard pq.PQstatus(made) == CONNECTION_OK else {
            let message = Self.oneLine(pq.PQerrorMessage(made))
            pq.PQfinish(made)
            throw .connect(message)
        }
        // From here on the object is whole: a throw runs `deinit`, which closes the connection.
        connection = made
        self.pq = pq
        answerDeadlineMilliseconds = settings.statementTimeoutMilliseconds + 1000
        guard pq.PQsetnonblocking(connection, 1) == 0 else {
            throw .connect("cannot make the connection non-blocking")
        }
        do {
            _ = try execute("SELECT set_config('synchronous_commit', 'on', false), set_config('statement_timeout', $1, false), set_config('lock_timeout', $2, false), set_config('client_min_messages', 'warning', false), set_config('extra_float_digits', '3', false)",
                            ["\(settings.statementTimeoutMilliseconds)ms", "\(settings.lockTimeoutMilliseconds)ms"])
        } catch {
            throw .connect(error.description)
        }
    }

    deinit { pq.PQfinish(connection) }

    /// Whether libpq still considers the connection usable.
    var isUsable: Bool { pq.PQstatus(connection) == CONNECTION_OK }

    /// The server process behind this connection (`pg_backend_pid()`), which the notifications it sends name.
    var backendPID: Int32 { pq.PQbackendPID(connection) }

    /// Why an idle connection no longer works, or nil if it does. An idle session has nothing to say, so a
    /// readable socket means the server ended it (shut down, crashed, `pg_terminate_backend`): finding that out
    /// costs one `poll` and no round trip. A server that stops answering without closing anything (paused,
    /// partitioned, powered off) shows nothing on the socket; `roundTrip` sends `SELECT 1` as well, bounded by
    /// the statement deadline like any other statement. Whatever is readable is read by that statement too, so a
    /// notice that arrived while idle does not make the next check look again.
    func problem(roundTrip: Bool) -> DatabaseError? {
        guard isUsable else { return lost(Self.oneLine(pq.PQerrorMessage(connection))) }
        let socket = pq.PQsocket(connection)
        guard socket >= 0 else { return lost("the connection has no socket") }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let quiet = if case .done(0)? = try? syscall("poll", { poll(&descriptor, 1, 0) }) { true } else { false }
        if quiet && !roundTrip { return nil }
        do {
            _ = try execute("SELECT 1")
            return nil
        } catch {
            // The server may answer the statement with the error that ended the session before libpq reads the
            // end of the stream: a refusal of `SELECT 1` is a connection not to keep either.
            return error
        }
    }

    /// Waits up to `milliseconds` for the server to send something on an idle session (`LISTEN`ing), reads what
    /// came, and returns the notifications libpq holds, in the order they were sent: also those that arrived
    /// with a statement's answer. A readable socket whose reading fails or leaves the connection broken is a
    /// session the server ended.
    func notifications(waitingMilliseconds milliseconds: Int32) throws(DatabaseError) -> [DatabaseNotification] {
        guard isUsable else { throw lost(Self.oneLine(pq.PQerrorMessage(connection))) }
        let socket = pq.PQsocket(connection)
        guard socket >= 0 else { throw lost("the connection has no socket") }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let readable: Bool
        do {
            readable = if case .done(let ready) = try syscall("poll", { poll(&descriptor, 1, milliseconds) }) { ready > 0 } else { false }
        } catch {
            throw lost(error.description)
        }
        if readable {
            guard pq.PQconsumeInput(connection) == 1, isUsable else { throw lost(Self.oneLine(pq.PQerrorMessage(connection))) }
        }
        var received: [DatabaseNotification] = []
        while let notification = pq.PQnotifies(connection) {
            defer { pq.PQfreemem(notification) }
            received.append(DatabaseNotification(channel: String(cString: notification.pointee.relname),
                                                 payload: String(cString: notification.pointee.extra),
                                                 senderPID: notification.pointee.be_pid))
        }
        return received
    }

    /// Runs one statement (`$1`… bound to `parameters`, NULL for nil) and returns its rows as text.
    func execute(_ sql: String, _ parameters: [String?] = []) throws(DatabaseError) -> [[String?]] {
        let deadline = Clock.monotonicMilliseconds() + Int64(answerDeadlineMilliseconds)
        let copies = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { for copy in copies { free(copy) } }
        let sent = copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
            pq.PQsendQueryParams(connection, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, 0)
        }
        guard sent == 1 else { throw lost(Self.oneLine(pq.PQerrorMessage(connection))) }
        // Push the statement out, then read until libpq has the whole answer.
        while true {
            let flushed = pq.PQflush(connection)
            if flushed == 0 { break }
            guard flushed == 1 else { throw lost(Self.oneLine(pq.PQerrorMessage(connection))) }
            try receive(POLLIN | POLLOUT, until: deadline)
        }
        while pq.PQisBusy(connection) == 1 {
            try receive(POLLIN, until: deadline)
        }
        var rows: [[String?]] = []
        var failure: DatabaseError?
        // One statement gives one result, then NULL; every result must be cleared to reuse the connection.
        while let result = pq.PQgetResult(connection) {
            defer { pq.PQclear(result) }
            guard failure == nil else { continue }
            switch pq.PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                rows = self.rows(of: result)
            default:
                let sqlstate = pq.PQresultErrorField(result, cpq_diag_sqlstate()).map { String(cString: $0) } ?? "?????"
                if pq.PQstatus(connection) != CONNECTION_OK {
                    failure = lost(Self.oneLine(pq.PQerrorMessage(connection)))
                } else if Self.endsSession(sqlstate) {
                    failure = lost("\(Self.oneLine(pq.PQresultErrorMessage(result))) (SQLSTATE \(sqlstate))")
                } else {
                    failure = .refused(sqlstate: sqlstate, message: Self.oneLine(pq.PQresultErrorMessage(result)))
                }
            }
            // PQgetResult would block (in libpq, without a deadline) until the next result is whole; a statement
            // with a single result ends with NULL right away.
            while pq.PQisBusy(connection) == 1 {
                try receive(POLLIN, until: deadline)
            }
        }
        if let failure { throw failure }
        return rows
    }

    /// Whether an error with this SQLSTATE means the session is over, or cannot be trusted, even if libpq has not
    /// yet read the end of the stream: connection exceptions (class 08) and the server ending or refusing the
    /// session (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 57P04 database dropped,
    /// 57P05 idle-session timeout). Such an error is a lost connection, not a refusal: the connection is not used
    /// again, its thread reconnects, and a write in it is reported with an unknown outcome, the safe side for an
    /// error sent by a server on its way out. 57014 (the statement timeout, a cancel) ends the statement, not the
    /// session: a refusal.
    static func endsSession(_ sqlstate: String) -> Bool {
        sqlstate.hasPrefix("08") || sqlstate.hasPrefix("57P")
    }

    /// Waits until the socket is ready for `events` (or the deadline passes), then lets libpq read what came.
    private func receive(_ events: Int32, until deadline: Int64) throws(DatabaseError) {
        try waitFor(events, until: deadline)
        guard pq.PQconsumeInput(connection) == 1 else { throw lost(Self.oneLine(pq.PQerrorMessage(connection))) }
    }

    private func waitFor(_ events: Int32, until deadline: Int64) throws(DatabaseError) {
        let socket = pq.PQsocket(connection)
        guard socket >= 0 else { throw lost("the connection has no socket") }
        var descriptor = pollfd(fd: socket, events: Int16(events), revents: 0)
        while true {
            let remaining = deadline - Clock.monotonicMilliseconds()
            guard remaining > 0 else {
                throw lost("no answer within \(answerDeadlineMilliseconds) ms")
            }
            do {
                if case .done(let ready) = try syscall("poll", { poll(&descriptor, 1, Int32(min(remaining, 60_000))) }), ready > 0 {
                    return
                }
            } catch {
                throw lost(error.description)
            }
        }
    }

    /// The error for a connection that broke or stopped answering, remembered as the reason it was lost.
    private func lost(_ message: String) -> DatabaseError {
        if lostBecause == nil { lostBecause = message }
        return .lost(message)
    }

    private func rows(of result: OpaquePointer) -> [[String?]] {
        let count = pq.PQntuples(result)
        let columns = pq.PQnfields(result)
        return (0..<count).map { row in
            (0..<columns).map { column in
                pq.PQgetisnull(result, row, column) == 1 ? nil : pq.PQgetvalue(result, row, column).map { String(cString: $0) } ?? ""
            }
        }
    }

    /// libpq's messages end in a newline and may span several lines ("FATAL: …\nDETAIL: …"); logs take one line.
    static func oneLine(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        let lines = String(cString: message).split(whereSeparator: \.isNewline).map { $0.trimmingPrefix(" ") }
        return lines.isEmpty ? "unknown error" : lines.joined(separator: "; ")
    }
}

/// A notification (`NOTIFY`, `pg_notify`) a session received on a channel it listens on.
struct DatabaseNotification {
    let channel: String
    let payload: String
    /// The server process of the session that sent it (`pg_backend_pid()` there).
    let senderPID: Int32
}
