import CapacityAPI
import Testing

private let dimensions = "/v1/scalableTargetDimensions/"

/// The dimension routes' own rules: what an unknown id becomes, which ids and bodies are refused, and that a
/// refusal changes nothing.
@Suite("Dimension requests, in memory")
struct DimensionRequestTests {
    @Test func anUnknownIDIsCreatedWithTheDefaults() throws {
        let reply = try APIHarness().get(dimensions + "new-id")
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "application/json")
        let json = try #require(reply.json)
        #expect(reply.string("scalableTargetDimensionId") == "new-id")
        #expect(reply.string("version") == "MyVersion")
        #expect(reply.string("resourceName") == "MyService")
        #expect(reply.string("dimensionName") == "MyDimension")
        #expect(reply.state == DimensionState(1, 1, "Successful"))
        #expect(json["failureReason"] == nil)
        #expect(json.count == 7)
    }

    /// Each bad request gets its status and a JSON message, and the dimension is exactly as before.
    @Test(arguments: [
        (#"{"desiredCapacity": -1}"#, "application/json", 400),
        (#"{"desiredCapacity": "3"}"#, "application/json", 400),
        (#"{"desiredCapacity": 1e999}"#, "application/json", 400),
        (#"{"desiredCapacity": 2147483648}"#, "application/json", 400),
        (#"{"desiredCapacity": 184467440737095516160}"#, "application/json", 400),
        (#"{"actualCapacity": 1e300}"#, "application/json", 400),
        (#"{"desiredCapacity": 3, "colour": "red"}"#, "application/json", 400),
        (#"{"desiredCapacity": 3, "desiredCapacity": 4}"#, "application/json", 400),
        (#"[{"desiredCapacity": 3}]"#, "application/json", 400),
        (#"{"desiredCapacity": 3"#, "application/json", 400),
        ("{}", "application/json", 400),
        ("", "application/json", 400),
        (#"{"scalingStatus": "Done"}"#, "application/json", 400),
        (#"{"scalingStatus": "Failed", "failureReason": "a\u0000b"}"#, "application/json", 400),
        (#"{"desiredCapacity": 3}"#, "text/plain", 415),
        (#"{"desiredCapacity": 3}"#, "application/x-www-form-urlencoded", 415),
    ])
    func badPatchesChangeNothing(body: String, contentType: String, status: Int) throws {
        let api = try APIHarness(APIConfiguration(mode: .production))
        let target = dimensions + "target"
        #expect(try api.patch(target, #"{"desiredCapacity": 2}"#).state == DimensionState(1, 2, "Pending"))
        let reply = try api.patch(target, body, contentType: contentType)
        #expect(reply.status == status, "\(body) → \(reply.body)")
        #expect(reply.headers["content-type"] == "application/json")
        #expect(reply.message?.isEmpty == false)
        #expect(try api.get(target).state == DimensionState(1, 2, "Pending"))
    }

    @Test func unknownFieldsAreNamed() throws {
        let reply = try APIHarness().patch(dimensions + "a", #"{"desiredCapacity": 3, "zeta": 1, "alpha": 2}"#)
        #expect(reply.status == 400)
        #expect(reply.message == "Unknown fields: alpha, zeta")
    }

    /// Neither `Content-Length` nor a chunked body: the PATCH cannot say how long its body is.
    @Test func aPatchWithoutABodyIs411() throws {
        let reply = try APIHarness().send("PATCH", dimensions + "a", headers: [("Content-Type", "application/json")])
        #expect(reply.status == 411)
        #expect(reply.body.hasPrefix("{\"message\": "))
    }

    @Test(arguments: [
        ("%2E%2E", 400), ("..", 400), (".", 400), ("a%2Fb", 400), ("a%00b", 400), ("a%zz", 400), ("%", 400),
        (String(repeating: "x", count: 1601), 400), ("%FF", 400), ("a%7F", 400), ("a%C2%85", 400), ("a%0A", 400),
        ("%C3", 400), ("a/b", 404),
    ])
    func invalidIDsAre400(id: String, status: Int) throws {
        let reply = try APIHarness().get(dimensions + id)
        #expect(reply.status == status, "\(id) → \(reply.body)")
        #expect(reply.message?.isEmpty == false)
    }

    @Test func percentEncodedIDsAreDecoded() throws {
        let api = try APIHarness()
        #expect(try api.get(dimensions + String(repeating: "y", count: 128)).status == 200)
        #expect(try api.get(dimensions + "svc%3Aweb%2Dtier.1_a").string("scalableTargetDimensionId") == "svc:web-tier.1_a")
    }
}
