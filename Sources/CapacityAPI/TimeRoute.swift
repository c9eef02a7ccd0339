import Bytes
import HTTP1
import SystemIO

/// `GET /time`: `{"The current epoch time": 1732456789}`, the old sample's exact body.
enum TimeRoute {
    static var route: Route {
        Route("/time", [Route.Operation(.get, openAPI: operation) { _, _, _ in response() }])
    }

    static func response() -> HTTPResponse {
        JSONContent.response(body(epochSeconds: WallClock.now().seconds))
    }

    /// Written in one `append` (`ByteWriter`), as every response body on a hot path is.
    static func body(epochSeconds: Int) -> [UInt8] {
        let start: StaticString = #"{"The current epoch time": "#
        var body: [UInt8] = []
        ByteWriter.append(to: &body, atMost: start.utf8CodeUnitCount + ByteWriter.maxDecimalBytes + 1) { out in
            out.append(start)
            out.appendDecimal(epochSeconds)
            out.append(byte: UInt8(ascii: "}"))
        }
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
