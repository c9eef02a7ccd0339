import CapacityAPI
import Testing

private let target = "/v1/scalableTargetDimensions/conditional"

/// `ETag`, `If-None-Match` and `If-Match` on the dimension routes: what a scaler polling cheaply and two operators'
/// scripts writing one dimension rely on.
@Suite("Conditional requests, in memory")
struct ConditionalRequestTests {
    /// A production-mode API with the dimension at desired 2, and its ETag.
    static func started() throws -> (APIHarness, String) {
        let api = try APIHarness(APIConfiguration(mode: .production))
        let reply = try api.patch(target, #"{"desiredCapacity": 2}"#)
        return (api, try #require(reply.headers["etag"]))
    }

    @Test func everyAnswerCarriesTheRevisionAsItsETag() throws {
        let (api, created) = try Self.started()
        #expect(created.wholeMatch(of: /"[0-9]+"/) != nil)
        #expect(try api.get(target).headers["etag"] == created)
        let changed = try api.patch(target, #"{"desiredCapacity": 3}"#).headers["etag"]
        #expect(changed != nil && changed != created)
        #expect(try api.get(target).headers["etag"] == changed)
        // A PATCH that changes nothing keeps the revision.
        #expect(try api.patch(target, #"{"desiredCapacity": 3}"#).headers["etag"] == changed)
    }

    /// (If-None-Match, given the current ETag as CURRENT; the status a GET gets)
    @Test(arguments: [
        ("CURRENT", 304), ("W/CURRENT", 304), (#""1", CURRENT"#, 304), ("*", 304),
        (#""999999""#, 200), (#""abc""#, 200), (#"W/"999999""#, 200),
        ("CURRENT, ", 304),
        // Not a list of entity tags: it names nothing, so nothing matches.
        (#""unterminated"#, 200), ("noquotes", 200), (#"*, CURRENT"#, 200), ("", 200),
    ])
    func ifNoneMatchOnAGet(header: String, status: Int) throws {
        let (api, current) = try Self.started()
        let reply = try api.get(target, headers: [("If-None-Match", header.replacing("CURRENT", with: current))])
        #expect(reply.status == status, "\(header) → \(reply.body)")
        switch status {
        case 304:
            #expect(reply.body.isEmpty && reply.headers["etag"] == current && reply.headers["content-type"] == nil)
        default:
            #expect(reply.headers["etag"] == current && reply.state == DimensionState(1, 2, "Pending"))
        }
    }

    /// (If-Match, given the current ETag as CURRENT; the status a PATCH gets), and a refused PATCH changes
    /// nothing.
    @Test(arguments: [
        ("CURRENT", 200), (#""1", CURRENT"#, 200), ("*", 200),
        ("W/CURRENT", 412), (#""999999""#, 412), (#""abc""#, 412),
        // Not a list of entity tags: it names nothing, so the PATCH is refused.
        ("noquotes", 412), (#"*, CURRENT"#, 412), ("", 412),
    ])
    func ifMatchOnAPatch(header: String, status: Int) throws {
        let (api, current) = try Self.started()
        let reply = try api.patch(target, #"{"desiredCapacity": 5}"#,
                                  headers: [("If-Match", header.replacing("CURRENT", with: current))])
        #expect(reply.status == status, "\(header) → \(reply.body)")
        if status == 200 {
            #expect(reply.state == DimensionState(1, 5, "Pending") && reply.headers["etag"] != current)
        } else {
            #expect(reply.message?.isEmpty == false)
            let now = try api.get(target)
            #expect(now.state == DimensionState(1, 2, "Pending") && now.headers["etag"] == current)
        }
    }

    @Test func ifMatchOnAnUnknownIDIsRefusedAndCreatesNothing() throws {
        let api = try APIHarness(APIConfiguration(mode: .production))
        let reply = try api.patch(target, #"{"desiredCapacity": 5}"#, headers: [("If-Match", #""1""#)])
        #expect(reply.status == 412)
        #expect(try api.store.allDimensionsAndWait().get().isEmpty)
    }

    /// A PATCH's `If-None-Match` is a condition too: `*` creates only what does not exist.
    @Test func ifNoneMatchOnAPatch() throws {
        let (api, current) = try Self.started()
        #expect(try api.patch(target, #"{"desiredCapacity": 5}"#, headers: [("If-None-Match", current)]).status == 412)
        #expect(try api.patch(target, #"{"desiredCapacity": 5}"#, headers: [("If-None-Match", "*")]).status == 412)
        #expect(try api.patch(target + "-new", #"{"desiredCapacity": 5}"#, headers: [("If-None-Match", "*")]).status == 200)
        #expect(try api.patch(target, #"{"desiredCapacity": 5}"#, headers: [("If-None-Match", #""999999""#)]).status == 200)
    }

    /// A GET with `If-Match` that fails is refused like a PATCH; the demo modes' advancing GET then does not
    /// advance.
    @Test func ifMatchOnAGet() throws {
        let (api, current) = try Self.started()
        #expect(try api.get(target, headers: [("If-Match", current)]).status == 200)
        #expect(try api.get(target, headers: [("If-Match", #""999999""#)]).status == 412)
    }
}
