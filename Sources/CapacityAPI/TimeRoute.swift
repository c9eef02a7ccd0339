import HTTP1
import JSON
import SystemIO

/// `GET /time`: `{"The current epoch time": 1732456789}`, the old sample's exact body.
enum TimeRoute {
    static var route: Route {
        Route("/time", [Route.Operation(.get, openAPI: operation) { _, _, _ in response() }])
    }

    static func response() -> HTTPResponse {
        JSONContent.response(body(epochSeconds: WallClock.now().seconds))
    }

    static func body(epochSeconds: Int) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(48)
        JSONWriter.appendLiteral(#"{"The current epoch time": "#, to: &body)
        JSONWriter.appendInteger(epochSeconds, to: &body)
        body.append(UInt8(ascii: "}"))
        return body
    }

    private static let operation = #"""
    {
            "operationId": "getTime",
            "summary": "The server's clock, in the old sample's shape.",
            "responses": {
              "200": {"description": "Epoch seconds.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Time"}}}}
            }
          }
    """#
}
