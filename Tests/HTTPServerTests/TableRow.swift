import Testing
@testable import HTTPServer

/// One thing that happens to a connection in a table row.
enum Step: Sendable {
    /// The loop's clock reads this many milliseconds from now on.
    case at(Int64)
    case receive(String)
    /// The client sends end-of-file.
    case peerCloses
    /// The loop's sweep of deadlines.
    case tick
    /// The outstanding promise is fulfilled (from the store thread, later).
    case fulfil
    case drain(idleUntil: Int64)
    /// From now on sends block: the client's receive window is full.
    case clientStopsReading
    /// The client reads everything: the socket turns writable and the rest goes out.
    case clientReads
    /// The client reads a little: the socket turns writable, some bytes go out, then sending blocks again.
    case clientReadsSome
    /// Notes in the transcript whether the connection is reading (back-pressure).
    case noteReading
}

/// A table row: what happens, and what the client sees.
struct Row: Sendable, CustomTestStringConvertible {
    let name: String
    var limits = testLimits
    let steps: [Step]
    let transcript: [String]
    let phase: ConnectionStateMachine.Phase

    var testDescription: String { name }

    /// Runs the row and returns what happened, for `#expect`.
    func run() -> (transcript: [String], phase: ConnectionStateMachine.Phase) {
        var driver = ConnectionDriver(limits: limits)
        driver.run(steps)
        return (driver.transcript, driver.machine.phase)
    }
}

/// Distinct timeouts, so a row that fires the wrong one fails.
let testLimits = ConnectionStateMachine.Limits(headerTimeout: 10_000, bodyTimeout: 20_000, idleTimeout: 60_000,
                                               writeTimeout: 5_000, lingerTimeout: 2_000, maxBufferedInput: 1_000)

func get(_ target: String, _ extraHeaders: String = "") -> String {
    "GET \(target) HTTP/1.1\r\nHost: x\r\n\(extraHeaders)\r\n"
}
