@testable import CapacityAPI
import Glibc
import Scaling
import SystemIO
import Testing

/// The transition log's lines, held to the old sample's format: each row is one request in a mode, on a dimension
/// as it was (nil: a new id, which starts from the defaults), run through the real decoder and state machine.
@Suite("Transition log lines, per mode")
struct TransitionLogTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let mode: ScalingMode
        let before: Dimension?
        let method: String
        let body: String
        let request: String
        let response: String
        var testDescription: String { "\(mode.rawValue) \(method) \(body)" }
    }

    static let id = try! DimensionID("x")

    static func state(_ actual: Double, _ desired: Double, _ status: ScalingStatus, reason: String? = nil) -> Dimension {
        Dimension(id: id, version: "MyVersion", resourceName: "MyService", dimensionName: "MyDimension",
                  actualCapacity: actual, desiredCapacity: desired, scalingStatus: status, failureReason: reason)
    }

    static func get(_ mode: ScalingMode, _ before: Dimension?, _ response: String) -> Row {
        Row(mode: mode, before: before, method: "GET", body: "", request: "Request: GET dimensionId: x ",
            response: "Response: dimensionId: x  " + response)
    }

    static func patch(_ mode: ScalingMode, _ before: Dimension?, _ body: String, logged: String? = nil,
                      _ response: String) -> Row {
        Row(mode: mode, before: before, method: "PATCH", body: body,
            request: "Request: PATCH dimensionId: x " + (logged ?? body), response: "Response: dimensionId: x  " + response)
    }

    static let demo: [Row] = [
        get(.demo, nil, "actualCapacity: 1.0 = desiredCapacity: 1.0  "),
        // Created by the PATCH: the defaults first, then the request applied to them.
        patch(.demo, nil, #"{"desiredCapacity": 4}"#, "desiredCapacity: 1.0 -> 4.0  scalingStatus: Successful -> Pending"),
        get(.demo, state(1, 4, .pending), "scalingStatus: Pending -> InProgress"),
        get(.demo, state(1, 4, .inProgress), "actualCapacity: 1.0 -> 4.0  scalingStatus: InProgress -> Successful"),
        get(.demo, state(4, 4, .successful), "actualCapacity: 4.0 = desiredCapacity: 4.0  "),
        patch(.demo, state(4, 4, .successful), #"{"desiredCapacity":4.0}"#, logged: #"{"desiredCapacity": 4.0}"#,
              "actualCapacity: 4.0 = desiredCapacity: 4.0  "),
        patch(.demo, state(4, 4, .successful), #"{ "desiredCapacity" : 0.00001 }"#, logged: #"{"desiredCapacity": 1e-05}"#,
              "desiredCapacity: 4.0 -> 1e-05  scalingStatus: Successful -> Pending"),
        patch(.demo, state(2.5, 2.5, .successful), #"{"desiredCapacity": 1234567.5e0}"#, logged: #"{"desiredCapacity": 1234567.5}"#,
              "desiredCapacity: 2.5 -> 1234567.5  scalingStatus: Successful -> Pending"),
    ]

    static let demoFailure: [Row] = [
        get(.demoFailure, state(1, 3, .pending), "scalingStatus: Pending -> InProgress"),
        // The simulated reason goes to the access log, not here.
        get(.demoFailure, state(1, 3, .inProgress), "scalingStatus: InProgress -> Failed"),
        get(.demoFailure, state(1, 3, .failed, reason: "r"), "actualCapacity: 1.0 = desiredCapacity: 3.0  "),
        patch(.demoFailure, state(1, 3, .failed, reason: "r"), #"{"desiredCapacity": 5}"#,
              "desiredCapacity: 3.0 -> 5.0  scalingStatus: Failed -> Pending"),
    ]

    static let step: [Row] = [
        get(.step, state(1, 3, .pending), "actualCapacity: 1.0 -> 2.0  scalingStatus: Pending -> InProgress"),
        get(.step, state(2, 3, .inProgress), "actualCapacity: 2.0 -> 3.0  "),
        get(.step, state(3, 3, .inProgress), "scalingStatus: InProgress -> Successful"),
        patch(.step, nil, #"{"desiredCapacity": 0}"#, "desiredCapacity: 1.0 -> 0.0  scalingStatus: Successful -> Pending"),
    ]

    static let production: [Row] = [
        get(.production, nil, "actualCapacity: 1.0 = desiredCapacity: 1.0  "),
        get(.production, state(1, 3, .pending), "actualCapacity: 1.0 = desiredCapacity: 3.0  "),
        // The old sample logged its own "scalingStatus": "Pending" inside the body; what the client sent is logged.
        patch(.production, nil, #"{"desiredCapacity": 3}"#, "desiredCapacity: 1.0 -> 3.0  scalingStatus: Successful -> Pending"),
        patch(.production, state(1, 3, .pending), #"{"actualCapacity": 3, "scalingStatus": "Successful"}"#,
              "actualCapacity: 1.0 -> 3.0  scalingStatus: Pending -> Successful"),
        // Both capacities: desired first, then actual, then the status, whatever the body's order.
        patch(.production, state(3, 3, .successful), #"{"scalingStatus": "InProgress", "actualCapacity": 2.5, "desiredCapacity": 5}"#,
              "desiredCapacity: 3.0 -> 5.0  actualCapacity: 3.0 -> 2.5  scalingStatus: Successful -> Pending"),
        // The failure reason is not part of the old format.
        patch(.production, state(1, 3, .inProgress), #"{"scalingStatus": "Failed", "failureReason": "caf\u00e9 \ud83d\ude00 \"q\"\n"}"#,
              logged: #"{"scalingStatus": "Failed", "failureReason": "caf\u00e9 \ud83d\ude00 \"q\"\n"}"#,
              "scalingStatus: InProgress -> Failed"),
        patch(.production, state(1, 3, .failed, reason: "r"), #"{"failureReason": "é/\u007f"}"#,
              logged: #"{"failureReason": "\u00e9/\u007f"}"#, "actualCapacity: 1.0 = desiredCapacity: 3.0  "),
        patch(.production, state(1, 3, .failed, reason: "r"), #"{"failureReason": null, "scalingStatus": "Successful", "actualCapacity": -0}"#,
              logged: #"{"failureReason": null, "scalingStatus": "Successful", "actualCapacity": 0}"#,
              "actualCapacity: 1.0 -> 0.0  scalingStatus: Failed -> Successful"),
    ]

    /// The dimension before and after the row's request.
    static func run(_ row: Row) throws -> (before: Dimension, after: Dimension) {
        let start = row.before ?? DimensionDefaults().makeDimension(id: Self.id)
        if row.method == "PATCH" {
            let update = try UpdateDecoder.decode(Array(row.body.utf8))
            try update.validate(in: row.mode)
            return (start, ScalingMachine.apply(update, to: start))
        }
        return (start, ScalingMachine.observe(start, mode: row.mode))
    }

    @Test(arguments: demo + demoFailure + step + production)
    func linesMatchTheOldSample(_ row: Row) throws {
        let (before, after) = try Self.run(row)
        #expect(TransitionLog.requestLine(method: row.method, id: "x", body: Array(row.body.utf8)) == row.request)
        #expect(TransitionLog.responseLine(id: "x", before: before, after: after) == row.response)
    }

    /// The same lines through `record` and the file, logged twice from one rendering (`RenderedDimension`), whose
    /// lines a GET or an unchanged dimension uses.
    @Test(arguments: demo + demoFailure + step + production)
    func recordedLinesMatchTheOldSample(_ row: Row) throws {
        let (before, after) = try Self.run(row)
        let rendered = RenderedDimension(after)
        let lines = try Self.logged { log in
            for _ in 0..<2 {
                log.record(method: row.method, body: Array(row.body.utf8), before: before, after: rendered, numbers: nil)
            }
        }
        #expect(lines == [row.request, row.response, row.request, row.response])
    }

    /// Lines logged in any order come out in the order of the store's numbers, each result after the one it names
    /// as its predecessor; an administrator's change is passed, not logged.
    @Test(arguments: [
        [0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [3, 1, 5, 0, 4, 2], [2, 0, 4, 1, 5, 3], [4, 5, 2, 3, 0, 1],
    ])
    func linesFollowTheStoresOrder(_ arrival: [Int]) throws {
        let id = try DimensionID("x")
        func state(_ desired: Double) -> Dimension {
            Dimension(id: id, version: "v", resourceName: "r", dimensionName: "d", actualCapacity: 1,
                      desiredCapacity: desired, scalingStatus: .successful)
        }
        // In the store's order: created (first in this process), read, changed, an administrator's edit (passed,
        // not logged), changed, read.
        let records: [(before: Double, after: Double, numbers: ChangeNumbers, passed: Bool)] = [
            (1, 2, ChangeNumbers(before: 0, after: 1), false),
            (2, 2, ChangeNumbers(before: 1, after: 2), false),
            (2, 3, ChangeNumbers(before: 2, after: 3), false),
            (3, 4, ChangeNumbers(before: 3, after: 4), true),
            (4, 5, ChangeNumbers(before: 4, after: 5), false),
            (5, 5, ChangeNumbers(before: 5, after: 6), false),
        ]
        let lines = try Self.logged { log in
            for index in arrival {
                let record = records[index]
                if record.passed {
                    log.pass(id: id, numbers: record.numbers)
                } else {
                    log.record(method: "GET", body: [], before: state(record.before),
                               after: RenderedDimension(state(record.after)), numbers: record.numbers)
                }
            }
        }
        #expect(lines.filter { $0.hasPrefix("Response") } == [
            "Response: dimensionId: x  desiredCapacity: 1.0 -> 2.0  ",
            "Response: dimensionId: x  actualCapacity: 1.0 = desiredCapacity: 2.0  ",
            "Response: dimensionId: x  desiredCapacity: 2.0 -> 3.0  ",
            "Response: dimensionId: x  desiredCapacity: 4.0 -> 5.0  ",
            "Response: dimensionId: x  actualCapacity: 1.0 = desiredCapacity: 5.0  ",
        ])
    }

    /// Fails if reopening the file (SIGHUP, after logrotate) forgets which results are logged: the next line of
    /// an id would be held for ever.
    @Test func aReopenKeepsTheOrder() throws {
        let id = try DimensionID("x")
        let first = Dimension(id: id, version: "v", resourceName: "r", dimensionName: "d", actualCapacity: 1,
                              desiredCapacity: 2, scalingStatus: .pending)
        var second = first
        second.desiredCapacity = 3
        let lines = try Self.logged { log in
            log.record(method: "GET", body: [], before: first, after: RenderedDimension(first),
                       numbers: ChangeNumbers(before: 0, after: 7))
            log.reopen()
            log.record(method: "GET", body: [], before: first, after: RenderedDimension(second),
                       numbers: ChangeNumbers(before: 7, after: 9))
        }
        #expect(lines.filter { $0.hasPrefix("Response") }.count == 2, "\(lines)")
    }

    /// The lines `write` logs, without their time stamps.
    private static func logged(_ write: (TransitionLog) -> Void) throws -> [String] {
        var template = Array("/tmp/capacityd-transitions.XXXXXX".utf8CString)
        let directory = try #require(template.withUnsafeMutableBufferPointer { template in
            mkdtemp(template.baseAddress!).map { String(cString: $0) }
        })
        defer {
            for file in (try? FileSystem.directoryEntries(directory)) ?? [] {
                try? FileSystem.removeIfPresent(directory + "/" + file)
            }
            rmdir(directory)
        }
        let log = TransitionLog(directory: directory)
        write(log)
        log.flush()
        // One file a day (`api-YYYYMMDD`, in date order by name): two, should midnight pass between the records.
        var text = ""
        for file in try FileSystem.directoryEntries(directory).sorted() {
            text += String(decoding: try #require(try FileSystem.read(directory + "/" + file)), as: UTF8.self)
        }
        // Each line starts with its time stamp, `YYYYMMDD-HHMMSS `.
        return text.split(separator: "\n").map { String($0.dropFirst(16)) }
    }
}
