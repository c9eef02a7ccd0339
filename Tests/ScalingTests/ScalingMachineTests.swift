import Testing
@testable import Scaling

private let id = try! DimensionID("d")

private func dimension(_ actual: Double, _ desired: Double, _ status: ScalingStatus, _ reason: String? = nil) -> Dimension {
    Dimension(id: id, version: "V", resourceName: "R", dimensionName: "D", actualCapacity: actual,
              desiredCapacity: desired, scalingStatus: status, failureReason: reason)
}

@Suite("State machine: GET, one table per mode")
struct ObserveTests {
    typealias Row = (before: Dimension, after: Dimension)
    static let failed = ScalingMachine.simulatedFailureReason

    static let demo: [Row] = [
        (dimension(1, 3, .pending), dimension(1, 3, .inProgress)),
        (dimension(1, 3, .inProgress), dimension(3, 3, .successful)),
        (dimension(3, 3, .successful), dimension(3, 3, .successful)),
        (dimension(1, 3, .failed, "x"), dimension(3, 3, .successful)),
    ]

    static let demoFailure: [Row] = [
        (dimension(1, 3, .pending), dimension(1, 3, .inProgress)),
        (dimension(1, 3, .inProgress), dimension(1, 3, .failed, failed)),
        (dimension(1, 3, .failed, failed), dimension(1, 3, .failed, failed)),
        (dimension(3, 3, .successful), dimension(3, 3, .successful)),
    ]

    static let step: [Row] = [
        (dimension(1, 3, .pending), dimension(2, 3, .inProgress)),
        (dimension(2, 3, .inProgress), dimension(3, 3, .inProgress)),
        (dimension(3, 3, .inProgress), dimension(3, 3, .successful)),
        (dimension(5, 3, .pending), dimension(4, 3, .inProgress)),
        (dimension(1, 1.5, .pending), dimension(1.5, 1.5, .inProgress)),
        (dimension(2, 1.75, .inProgress), dimension(1.75, 1.75, .inProgress)),
        (dimension(3, 3, .pending), dimension(3, 3, .successful)),
        (dimension(1, 3, .failed, "x"), dimension(1, 3, .failed, "x")),
        (dimension(3, 3, .successful), dimension(3, 3, .successful)),
    ]

    static let production: [Row] = [
        (dimension(1, 3, .pending), dimension(1, 3, .pending)),
        (dimension(1, 3, .inProgress), dimension(1, 3, .inProgress)),
        (dimension(1, 3, .failed, "x"), dimension(1, 3, .failed, "x")),
        (dimension(3, 3, .successful), dimension(3, 3, .successful)),
    ]

    @Test(arguments: demo) func demoMode(_ row: Row) { #expect(ScalingMachine.observe(row.before, mode: .demo) == row.after) }
    @Test(arguments: demoFailure) func demoFailureMode(_ row: Row) {
        #expect(ScalingMachine.observe(row.before, mode: .demoFailure) == row.after)
    }
    @Test(arguments: step) func stepMode(_ row: Row) { #expect(ScalingMachine.observe(row.before, mode: .step) == row.after) }
    @Test(arguments: production) func productionMode(_ row: Row) {
        #expect(ScalingMachine.observe(row.before, mode: .production) == row.after)
    }

    @Test func stepFromOneToThreeTakesThreeGets() {
        var current = dimension(1, 3, .pending)
        var seen: [(Double, ScalingStatus)] = []
        for _ in 0..<3 {
            current = ScalingMachine.observe(current, mode: .step)
            seen.append((current.actualCapacity, current.scalingStatus))
        }
        #expect(seen.map(\.0) == [2, 3, 3])
        #expect(seen.map(\.1) == [.inProgress, .inProgress, .successful])
    }
}

@Suite("State machine: PATCH")
struct ApplyTests {
    typealias Row = (String, Dimension, DimensionUpdate, Dimension)

    static let rows: [Row] = [
        ("new desired restarts", dimension(1, 1, .successful), DimensionUpdate(desiredCapacity: 2), dimension(1, 2, .pending)),
        ("same desired changes nothing", dimension(1, 1, .successful), DimensionUpdate(desiredCapacity: 1), dimension(1, 1, .successful)),
        ("same desired keeps a failure", dimension(1, 2, .failed, "x"), DimensionUpdate(desiredCapacity: 2), dimension(1, 2, .failed, "x")),
        ("new desired clears a failure", dimension(1, 2, .failed, "x"), DimensionUpdate(desiredCapacity: 3), dimension(1, 3, .pending)),
        ("new desired wins over a status", dimension(1, 1, .successful),
         DimensionUpdate(desiredCapacity: 2, scalingStatus: .successful), dimension(1, 2, .pending)),
        ("operator reports progress", dimension(1, 3, .pending),
         DimensionUpdate(actualCapacity: 2, scalingStatus: .inProgress), dimension(2, 3, .inProgress)),
        ("operator reports a failure", dimension(1, 3, .inProgress),
         DimensionUpdate(scalingStatus: .failed, failureReason: .some("quota")), dimension(1, 3, .failed, "quota")),
        ("a status other than Failed drops the old reason", dimension(1, 3, .failed, "quota"),
         DimensionUpdate(actualCapacity: 3, scalingStatus: .successful), dimension(3, 3, .successful)),
        ("reason cleared with null", dimension(1, 3, .failed, "quota"),
         DimensionUpdate(failureReason: .some(nil)), dimension(1, 3, .failed)),
    ]

    @Test(arguments: rows) func apply(_ row: Row) {
        #expect(ScalingMachine.apply(row.2, to: row.1) == row.3, "\(row.0)")
    }
}

@Suite("Update validation")
struct ValidationTests {
    static let refused: [(String, DimensionUpdate, ScalingMode)] = [
        ("empty", DimensionUpdate(), .production),
        ("negative", DimensionUpdate(desiredCapacity: -1), .demo),
        ("infinite", DimensionUpdate(desiredCapacity: .infinity), .demo),
        ("NaN", DimensionUpdate(desiredCapacity: .nan), .demo),
        ("negative actual", DimensionUpdate(actualCapacity: -0.5), .production),
        ("actual in demo", DimensionUpdate(actualCapacity: 1), .demo),
        ("status in step", DimensionUpdate(scalingStatus: .successful), .step),
        ("reason in demo-failure", DimensionUpdate(failureReason: .some("x")), .demoFailure),
        ("reason too long", DimensionUpdate(failureReason: .some(String(repeating: "x", count: 1025))), .production),
        ("reason with U+0000", DimensionUpdate(failureReason: .some("a\u{0}b")), .production),
        ("desired one over the bound", DimensionUpdate(desiredCapacity: 2_147_483_648), .demo),
        ("actual one over the bound", DimensionUpdate(actualCapacity: 2_147_483_648), .production),
        ("desired far over the bound", DimensionUpdate(desiredCapacity: 1e300), .step),
    ]

    @Test(arguments: refused) func refuses(_ row: (String, DimensionUpdate, ScalingMode)) {
        #expect(throws: ScalingError.self, "\(row.0)") { try row.1.validate(in: row.2) }
    }

    @Test func aCapacityPastTheBoundNamesTheFieldAndTheBound() {
        #expect(throws: ScalingError.invalidUpdate("desiredCapacity must be at most 2147483647")) {
            try DimensionUpdate(desiredCapacity: 2_147_483_648).validate(in: .demo)
        }
        #expect(throws: ScalingError.invalidUpdate("actualCapacity must be at most 10.5")) {
            try DimensionUpdate(actualCapacity: 11).validate(in: .production, maxCapacity: 10.5)
        }
        #expect(throws: Never.self) { try DimensionUpdate(actualCapacity: 10.5).validate(in: .production, maxCapacity: 10.5) }
    }

    @Test func operatorFieldsOutsideProductionNameThemAndTheMode() {
        let update = DimensionUpdate(desiredCapacity: 2, actualCapacity: 1, scalingStatus: .failed)
        #expect(throws: ScalingError.operatorFieldsNotAllowed(fields: ["actualCapacity", "scalingStatus"], mode: .demo)) {
            try update.validate(in: .demo)
        }
    }

    static let accepted: [(DimensionUpdate, ScalingMode)] = [
        (DimensionUpdate(desiredCapacity: 0), .demo),
        (DimensionUpdate(desiredCapacity: 1e9), .step),
        (DimensionUpdate(desiredCapacity: 2_147_483_647, actualCapacity: 2_147_483_647), .production),
        (DimensionUpdate(actualCapacity: 2, scalingStatus: .inProgress, failureReason: .some(nil)), .production),
        (DimensionUpdate(failureReason: .some(String(repeating: "x", count: 1024))), .production),
    ]

    @Test(arguments: accepted) func accepts(_ row: (DimensionUpdate, ScalingMode)) throws {
        try row.0.validate(in: row.1)
    }
}

@Suite("Dimension ids")
struct DimensionIDTests {
    /// What Application Auto Scaling allows in a ResourceId: any Unicode but controls, and here not '/'.
    @Test(arguments: ["a", "my-id", "A.b_c:d-1", String(repeating: "x", count: 1600), "..a", "a..", "orders@prod",
                      "svc~1", "a b", "a$", "caf\u{e9}", "cafe\u{301}", "%41", "\u{1F600}", "\u{A0}", "\u{2028}",
                      String(repeating: "\u{1F600}", count: 400), "a\\b", "?#[]"])
    func valid(_ text: String) throws {
        #expect(try DimensionID(text).value == text)
    }

    @Test(arguments: ["", ".", "..", String(repeating: "x", count: 1601), String(repeating: "\u{1F600}", count: 400) + "x",
                      "a/b", "/", "a\u{0}b", "a\u{1F}", "\tb", "a\nb", "a\u{7F}", "a\u{80}", "a\u{9F}"])
    func invalid(_ text: String) {
        #expect(throws: ScalingError.self) { try DimensionID(text) }
    }

    @Test(arguments: [("my%2Did", "my-id"), ("%41bc", "Abc"), ("a%3ab", "a:b"), ("plain", "plain"), ("%C3%A9", "\u{e9}"),
                      ("a%20b", "a b"), ("%F0%9F%98%80", "\u{1F600}"), ("a%40b~c", "a@b~c"), ("%2e%2e%2e", "...")])
    func percentDecoded(_ row: (String, String)) throws {
        #expect(try DimensionID(percentEncoded: Substring(row.0)).value == row.1)
    }

    @Test(arguments: ["%2e%2e", "%2E", "a%2Fb", "a%2fb", "%", "%4", "%zz", "a%00b", ".%2e", "%C3", "%FF", "%C0%AF",
                      "%ED%A0%80", "a%7Fb", "a%C2%85b", "a%0Ab"])
    func percentDecodedInvalid(_ text: String) {
        #expect(throws: ScalingError.self) { try DimensionID(percentEncoded: Substring(text)) }
    }

    /// A segment of visible ASCII without `%` takes a shortcut past decoding: it must accept and refuse exactly
    /// what validating the text itself does.
    @Test(arguments: ["a", ".", "..", "...", ".a", "a.", "~", "A.b_c:d-1", "a@b!$&'()*+,;=", String(repeating: "x", count: 1600),
                      String(repeating: "x", count: 1601), "?#[]", "a\\b", "{}|^`\"<>"])
    func undecodedSegmentsAreValidatedAsText(_ text: String) {
        let asText = Result { () throws(ScalingError) in try DimensionID(text) }
        let asSegment = Result { () throws(ScalingError) in try DimensionID(percentEncoded: Substring(text)) }
        #expect((try? asText.get()) == (try? asSegment.get()))
        #expect((try? asText.get()) != nil || (try? asSegment.get()) == nil)
    }

    /// Two spellings of one character are two ids (as to AWS and PostgreSQL), and ids sort by their bytes.
    @Test func idsAreTheirBytes() throws {
        let precomposed = try DimensionID("caf\u{e9}")
        let decomposed = try DimensionID("cafe\u{301}")
        #expect(precomposed != decomposed)
        #expect(Set([precomposed, decomposed]).count == 2)
        #expect(try [DimensionID("b"), DimensionID("\u{e9}"), DimensionID("B"), DimensionID("a")].sorted().map(\.value)
                == ["B", "a", "b", "\u{e9}"])
    }
}
