import CapacityAPI
import Scaling
import Testing

/// Each mode's walk of one dimension through PATCHes and GETs, as Application Auto Scaling (or an operator)
/// drives it: every step is a request and the state its answer must show.
@Suite("Mode walks, in memory")
struct ModeWalkTests {
    enum Request: Sendable {
        case get
        case patch(String)
    }

    struct Step: Sendable {
        let request: Request
        let state: DimensionState
        /// The answer's failureReason: nil for none; "" for any non-empty one.
        let failureReason: String?

        init(_ request: Request, _ actual: Double, _ desired: Double, _ status: String, failureReason: String? = nil) {
            self.request = request
            state = DimensionState(actual, desired, status)
            self.failureReason = failureReason
        }
    }

    struct Walk: CustomTestStringConvertible, Sendable {
        let mode: ScalingMode
        let steps: [Step]
        var testDescription: String { mode.rawValue }
    }

    static let walks: [Walk] = [
        // The old sample: each GET of an unfinished dimension advances it one status; the same desired capacity
        // again changes nothing.
        Walk(mode: .demo, steps: [
            Step(.patch(#"{"desiredCapacity": 3}"#), 1, 3, "Pending"),
            Step(.get, 1, 3, "InProgress"),
            Step(.get, 3, 3, "Successful"),
            Step(.get, 3, 3, "Successful"),
            Step(.patch(#"{"desiredCapacity": 3}"#), 3, 3, "Successful"),
        ]),
        // Fails, stays failed, until a new desired capacity.
        Walk(mode: .demoFailure, steps: [
            Step(.patch(#"{"desiredCapacity": 5}"#), 1, 5, "Pending"),
            Step(.get, 1, 5, "InProgress"),
            Step(.get, 1, 5, "Failed", failureReason: ""),
            Step(.get, 1, 5, "Failed", failureReason: ""),
            Step(.patch(#"{"desiredCapacity": 6}"#), 1, 6, "Pending"),
        ]),
        // One unit per GET, then Successful; a fraction is reached in one step.
        Walk(mode: .step, steps: [
            Step(.patch(#"{"desiredCapacity": 3}"#), 1, 3, "Pending"),
            Step(.get, 2, 3, "InProgress"),
            Step(.get, 3, 3, "InProgress"),
            Step(.get, 3, 3, "Successful"),
            Step(.patch(#"{"desiredCapacity": 2.5}"#), 3, 2.5, "Pending"),
            Step(.get, 2.5, 2.5, "InProgress"),
            Step(.get, 2.5, 2.5, "Successful"),
        ]),
        // The operator reports progress; a GET changes nothing, and AWS's scalingStatus in a PATCH of
        // desiredCapacity does not skip Pending.
        Walk(mode: .production, steps: [
            Step(.patch(#"{"desiredCapacity": 4, "scalingStatus": "Successful"}"#), 1, 4, "Pending"),
            Step(.get, 1, 4, "Pending"),
            Step(.get, 1, 4, "Pending"),
            Step(.patch(#"{"actualCapacity": 2, "scalingStatus": "InProgress"}"#), 2, 4, "InProgress"),
            Step(.patch(#"{"scalingStatus": "Failed", "failureReason": "quota exceeded"}"#), 2, 4, "Failed",
                 failureReason: "quota exceeded"),
            Step(.patch(#"{"actualCapacity": 4, "scalingStatus": "Successful"}"#), 4, 4, "Successful"),
        ]),
    ]

    /// Fails if any step's answer is not a 200 with the step's state and failure reason.
    @Test(arguments: walks)
    func eachStepShowsItsState(walk: Walk) throws {
        let api = try APIHarness(APIConfiguration(mode: walk.mode))
        let target = "/v1/scalableTargetDimensions/walk"
        for (index, step) in walk.steps.enumerated() {
            let reply = switch step.request {
            case .get: try api.get(target)
            case .patch(let body): try api.patch(target, body)
            }
            #expect(reply.status == 200, "step \(index): \(reply.body)")
            #expect(reply.state == step.state, "step \(index): expected \(step.state), got \(reply.body)")
            switch step.failureReason {
            case nil: #expect(reply.json?["failureReason"] == nil, "step \(index): \(reply.body)")
            case "": #expect(reply.string("failureReason")?.isEmpty == false, "step \(index): \(reply.body)")
            case let reason?: #expect(reply.string("failureReason") == reason, "step \(index): \(reply.body)")
            }
        }
    }

    /// Fails if a mode other than production takes an operator field, or the refusal changes the dimension.
    @Test(arguments: [ScalingMode.demo, .demoFailure, .step])
    func operatorFieldsAreRefusedOutsideProduction(mode: ScalingMode) throws {
        let api = try APIHarness(APIConfiguration(mode: mode))
        let target = "/v1/scalableTargetDimensions/guarded"
        let refused = try api.patch(target, #"{"actualCapacity": 9}"#)
        #expect(refused.status == 400)
        #expect(refused.message?.contains("production mode") == true, "\(refused.body)")
        #expect(try api.get(target).state == DimensionState(1, 1, "Successful"))
    }
}
