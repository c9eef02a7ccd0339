import StoreContract
import HTTP1
import Scaling
import SystemIO

/// Renders `/metrics` from what the store holds; the server's observability part implements it.
public protocol MetricsExposition: Sendable {
    func render(now epochSeconds: Int, dimensions: Result<[Dimension], StoreError>) -> String
}

/// `GET /metrics`: the Prometheus text exposition, on the API's listeners or, with `--metrics-listen`, only on
/// the metrics listener.
enum MetricsRoute {
    static func route(store: DimensionStore, exposition: MetricsExposition) -> Route {
        Route("/metrics", [Route.Operation(.get, openAPI: operation) { _, _, context in
            let promise = context.deferResponse()
            store.allDimensions { dimensions in
                promise.onLoop {
                    let text = exposition.render(now: WallClock.now().seconds, dimensions: dimensions)
                    promise.succeed(HTTPResponse(status: .ok, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                                                 body: Array(text.utf8)))
                }
            }
            return nil
        }])
    }

    private static let operation = #"""
    {
            "operationId": "getMetrics",
            "summary": "Prometheus text exposition.",
            "responses": {
              "200": {"description": "Metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}}
            }
          }
    """#
}
