import StoreContract
import HTTP1
import HTTPServer
import Scaling

/// The administrator's routes under `/admin/v1/dimensions`, which `capacityd dimensions --server URL` uses while a
/// server runs: list, read without advancing, create (409 if it exists), set fields exactly (an override, not a
/// scaling event), delete. They are always routed (so other methods get 405) but exist only with `--api-keys`
/// (`APIKeyPolicy`: 404 without, a key for every request with).
public final class AdminRoutes: Sendable {
    public static let prefix = "/admin/v1/dimensions"

    private let store: DimensionStore
    /// Told of each numbered change made here, which its log does not show, so the lines of later ones follow.
    private let transitions: TransitionLog
    private let defaults: DimensionDefaults
    private let maxCapacity: Double

    init(store: DimensionStore, transitions: TransitionLog, defaults: DimensionDefaults, maxCapacity: Double) {
        self.store = store
        self.transitions = transitions
        self.defaults = defaults
        self.maxCapacity = maxCapacity
    }

    /// What guards every admin route: the rate first (guessing keys costs tokens like any other request), then the
    /// key.
    static func policies(apiKeys: APIKeys?, rateLimiter: RateLimiter?) -> [any RequestPolicy] {
        (rateLimiter.map { [RateLimitPolicy(limiter: $0, keys: apiKeys)] } ?? []) + [APIKeyPolicy(keys: apiKeys)]
    }

    func routes(policies: [any RequestPolicy]) -> [Route] {
        let operation = { (method: HTTPMethod, openAPI: String) in
            Route.Operation(method, openAPI: openAPI) { request, id, context in
                self.respond(request, idSegment: id, context: context)
            }
        }
        return [
            Route(Self.prefix, policies: policies, [
                Route.Operation(.get, openAPI: Self.listOperation) { _, _, context in self.list(context: context) },
            ]),
            Route(Self.prefix + "/{id}", parameter: DimensionIDParameter.declaration, policies: policies, [
                operation(.get, Self.getOperation), operation(.post, Self.createOperation),
                operation(.put, Self.setOperation), operation(.delete, Self.deleteOperation),
            ]),
        ]
    }

    private func list(context: RequestContext) -> HTTPResponse? {
        let promise = context.deferResponse()
        store.allDimensions { outcome in
            promise.onLoop {
                switch outcome {
                case .success(let dimensions):
                    var body = Array("[".utf8)
                    for (index, dimension) in dimensions.enumerated() {
                        if index > 0 { body += Array(", ".utf8) }
                        DimensionJSON.append(dimension, to: &body)
                    }
                    body.append(UInt8(ascii: "]"))
                    promise.succeed(JSONContent.response(body))
                case .failure(let error):
                    promise.succeed(APIError.response(for: .store(error)))
                }
            }
        }
        return nil
    }

    private func respond(_ request: HTTPRequest, idSegment: Substring, context: RequestContext) -> HTTPResponse? {
        let id: DimensionID
        do {
            id = try DimensionID(percentEncoded: idSegment)
        } catch {
            return APIError.response(for: error)
        }
        let promise = context.deferResponse()
        // Called by the store, on any thread: the answer is built on the connection's loop.
        let answer: @Sendable (Result<Dimension, ScalingError>) -> Void = { outcome in
            promise.onLoop {
                switch outcome {
                case .success(let dimension): promise.succeed(JSONContent.response(DimensionJSON.encode(dimension)))
                case .failure(let error): promise.succeed(APIError.response(for: error))
                }
            }
        }
        switch request.head.method {
        case .get:
            store.dimension(id) { outcome in
                answer(outcome.mapError { .store($0) }.flatMap { found in found.map { .success($0) } ?? .failure(.notFound(id)) })
            }
        case .delete:
            store.delete(id) { outcome in answer(outcome.mapError { .store($0) }) }
        default:
            let fields: DimensionFields
            do {
                fields = try DimensionFields.decode(request.body)
            } catch {
                answer(.failure(error))
                return nil
            }
            let edit = DimensionEdit(fields: fields, creating: request.head.method == .post ? defaults : nil,
                                     maxCapacity: maxCapacity)
            let transitions = self.transitions
            store.update(id, edit) { outcome in
                promise.onLoop {
                    if case .success(let change) = outcome, let numbers = change.numbers {
                        transitions.pass(id: id, numbers: numbers)
                    }
                    answer(outcome.map(\.after))
                }
            }
        }
        return nil
    }

    private static let listOperation = #"""
    {
            "operationId": "adminListDimensions",
            "summary": "Every dimension (administrators; needs --api-keys and a key, else 404).",
            "responses": {
              "200": {"description": "The dimensions.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/ScalableTargetDimension"}}}}},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"}, "414": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}
            }
          }
    """#

    private static let getOperation = #"""
    {
            "operationId": "adminGetDimension",
            "summary": "One dimension, without advancing it.",
            "responses": {"200": {"$ref": "#/components/responses/Dimension"}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "414": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}
          }
    """#

    private static let createOperation = #"""
    {
            "operationId": "adminCreateDimension",
            "summary": "Create a dimension from the defaults and the given fields (409 if it exists).",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/AdminFields"}}}},
            "responses": {"200": {"$ref": "#/components/responses/Dimension"}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "414": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}
          }
    """#

    private static let setOperation = #"""
    {
            "operationId": "adminSetDimension",
            "summary": "Set fields exactly as given (an override, not a scaling event).",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/AdminFields"}}}},
            "responses": {"200": {"$ref": "#/components/responses/Dimension"}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "414": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}
          }
    """#

    private static let deleteOperation = #"""
    {
            "operationId": "adminDeleteDimension",
            "summary": "Delete a dimension; answers it as it was.",
            "responses": {"200": {"$ref": "#/components/responses/Dimension"}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "414": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}
          }
    """#
}
