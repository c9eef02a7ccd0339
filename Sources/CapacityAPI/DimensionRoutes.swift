import StoreContract
import HTTP1
import HTTPServer
import Scaling

/// `GET` and `PATCH /v1/scalableTargetDimensions/{id}`: the resource Application Auto Scaling reads and scales.
/// Each request becomes one store update (a GET too, since in the demo and step modes reading advances an
/// unfinished dimension), logged to the transition log and answered once the change is durable; a GET that changes
/// nothing is answered from the durable state the store holds in memory, when it holds it. The store gets the
/// request as a value of the domain (`ScalingRequest`) and its result comes back to the connection's event loop
/// before anything is rendered, logged or answered: nothing of this type runs on a store's thread. Every answer
/// carries the dimension's revision as its `ETag`; `If-Match` and `If-None-Match` are read as revisions
/// (`ConditionalRequest`).
final class DimensionRoutes: Sendable {
    static let pattern = "/v1/scalableTargetDimensions/{id}"

    private let configuration: APIConfiguration
    let store: DimensionStore
    let transitions: TransitionLog
    private let apiKeys: APIKeys?
    private let rateLimiter: RateLimiter?
    /// The long-polls waiting; nil serves none (`Prefer: wait` is then ignored).
    private let waiters: DimensionWaiters?
    /// What every GET asks of the store.
    let observe: ScalingRequest
    private let renderings = DimensionRenderings()

    init(configuration: APIConfiguration, store: DimensionStore, transitions: TransitionLog, apiKeys: APIKeys?,
         rateLimiter: RateLimiter? = nil, waiters: DimensionWaiters? = nil) {
        self.configuration = configuration
        self.store = store
        self.transitions = transitions
        self.apiKeys = apiKeys
        self.rateLimiter = rateLimiter
        self.waiters = waiters
        observe = ScalingRequest(update: nil, mode: configuration.mode, creation: configuration.creation)
    }

    var route: Route {
        Route(Self.pattern, parameter: DimensionIDParameter.declaration,
              policies: (configuration.dimensionsNeedClientCertificate ? [ClientCertificatePolicy()] : [])
                + (rateLimiter.map { [RateLimitPolicy(limiter: $0, keys: apiKeys)] } ?? []), [
            Route.Operation(.get, openAPI: Self.getOperation) { request, id, context in
                self.respond(request, idSegment: id, context: context)
            },
            Route.Operation(.patch, openAPI: Self.patchOperation) { request, id, context in
                self.respond(request, idSegment: id, context: context)
            },
        ])
    }

    private func respond(_ request: HTTPRequest, idSegment: Substring, context: RequestContext) -> HTTPResponse? {
        let id: DimensionID
        do {
            id = try DimensionID(percentEncoded: idSegment)
        } catch {
            return APIError.response(for: error)
        }
        let conditional = ConditionalRequest(request.head)
        var update: DimensionUpdate?
        if request.head.method == .patch {
            switch decodeUpdate(request) {
            case .failure(let refusal):
                return refusal.response
            case .success(let decoded):
                update = decoded
            }
        }
        if update == nil, conditional.condition == nil, let waiters, let (revisions, seconds) = longPoll(request, conditional),
           LongPoll.start(routes: self, waiters: waiters, id: id, revisions: revisions, seconds: seconds, context: context) {
            return nil
        }
        let transition = update == nil && conditional.condition == nil ? observe
            : ScalingRequest(update: update, mode: configuration.mode, creation: configuration.creation,
                             condition: conditional.condition)
        // A read that changes nothing (production mode, or a finished dimension) needs no store update, so no
        // `Waiting` object and no deferred answer: it is answered at once from the durable state the store holds in
        // memory. The store gives none while a write of the id is on its way, so a GET that follows a PATCH closely
        // still waits for it below.
        if update == nil, let result = store.unchangedResult(id, transition) {
            return answer(result, id: id, update: nil, body: request.body, notModified: conditional.notModified)
        }
        let waiting = Waiting(routes: self, id: id, update: update, body: request.body,
                              notModified: conditional.notModified, promise: context.deferResponse())
        // The closure captures the one object and nothing else, which makes it the closure's context: no
        // allocation of its own.
        store.update(id, transition) { waiting.finish($0) }
        return nil
    }

    /// The revisions a GET waits to leave and for how long, if it is a long-poll: production mode (in the others a
    /// GET advances the dimension, so there is nothing to wait for), `If-None-Match` naming revisions and
    /// `Prefer: wait=N` with N > 0, capped by `--max-wait`.
    private func longPoll(_ request: HTTPRequest, _ conditional: ConditionalRequest) -> ([UInt64], Int)? {
        guard configuration.mode == .production, case .listed(let revisions)? = conditional.notModified,
              !revisions.isEmpty, let wait = Preferences.wait(in: request.head.headers.values("prefer")),
              min(wait, configuration.maxWaitSeconds) > 0
        else { return nil }
        return (revisions, min(wait, configuration.maxWaitSeconds))
    }

    /// A request handed to the store: what its change and its answer need, in one allocation.
    private final class Waiting: Sendable {
        let routes: DimensionRoutes
        let id: DimensionID
        /// A PATCH's; nil for a GET.
        let update: DimensionUpdate?
        let body: [UInt8]
        let notModified: RevisionCondition.Revisions?
        let promise: ResponsePromise

        init(routes: DimensionRoutes, id: DimensionID, update: DimensionUpdate?, body: [UInt8],
             notModified: RevisionCondition.Revisions?, promise: ResponsePromise) {
            self.routes = routes
            self.id = id
            self.update = update
            self.body = body
            self.notModified = notModified
            self.promise = promise
        }

        /// Called by the store, on any thread: the answer is built on the connection's loop.
        func finish(_ outcome: Result<DimensionChange, ScalingError>) {
            promise.onLoop {
                switch outcome {
                case .success(let result):
                    self.promise.succeed(self.routes.answer(result, id: self.id, update: self.update, body: self.body,
                                                            notModified: self.notModified))
                case .failure(let error):
                    self.promise.succeed(APIError.response(for: error))
                }
            }
        }
    }

    /// The `200` to a request that did `result`, logged to the transition log; a `304` to a GET whose
    /// `If-None-Match` (`notModified`) names the revision it found.
    func answer(_ result: DimensionChange, id: DimensionID, update: DimensionUpdate?, body: [UInt8],
                notModified: RevisionCondition.Revisions?) -> HTTPResponse {
        let rendered = renderings.rendering(of: result.after)
        transitions.record(method: update == nil ? "GET" : "PATCH", body: body,
                           before: result.before ?? configuration.defaults.makeDimension(id: id),
                           after: rendered, numbers: result.numbers)
        if let notModified, notModified.contains(result.after) {
            return HTTPResponse(status: .notModified, headers: [(name: "ETag", value: rendered.entityTag)])
        }
        var response = HTTPResponse(status: .ok, headers: rendered.headers, body: rendered.json)
        // What the old transition-log format has no room for.
        if result.before == nil { response.accessLogFields.append(AccessLogField("created", .bool(true))) }
        if let reason = result.after.failureReason, reason != result.before?.failureReason {
            response.accessLogFields.append(AccessLogField("failure_reason", .string(reason)))
        }
        return response
    }

    private struct Refusal: Error {
        let response: HTTPResponse
    }

    /// Framing and media type first (411, 415), then the body itself (400), the operator key (401, 403) and the
    /// mode's rules (400).
    private func decodeUpdate(_ request: HTTPRequest) -> Result<DimensionUpdate, Refusal> {
        let head = request.head
        if head.framing == .none && head.headers["content-length"] == nil {
            let message = "A PATCH needs a body with Content-Length or chunked Transfer-Encoding"
            return .failure(Refusal(response: APIError.response(status: .lengthRequired, message: message)))
        }
        guard UpdateDecoder.isJSON(contentType: head.headers["content-type"]) else {
            let message = "The body must be sent as Content-Type: application/json"
            return .failure(Refusal(response: APIError.response(status: .unsupportedMediaType, message: message)))
        }
        do throws(ScalingError) {
            let update = try UpdateDecoder.decode(request.body)
            // With --api-keys, the operator fields need a valid key; AWS's desiredCapacity alone does not (it is
            // governed by the client-certificate policy).
            if let apiKeys, !update.operatorFields.isEmpty { try apiKeys.authorize(head) }
            try update.validate(in: configuration.mode, maxCapacity: configuration.maxCapacity)
            return .success(update)
        } catch {
            return .failure(Refusal(response: APIError.response(for: error)))
        }
    }

    private static let getOperation = #"""
    {
            "operationId": "getScalableTargetDimension",
            "summary": "Read a dimension; in the demo and step modes this also advances an unfinished one.",
            "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"}, {"$ref": "#/components/parameters/IfMatch"}, {"$ref": "#/components/parameters/PreferWait"}],
            "responses": {
              "200": {"description": "The dimension.", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}, "Preference-Applied": {"$ref": "#/components/headers/PreferenceApplied"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScalableTargetDimension"}}}},
              "304": {"$ref": "#/components/responses/NotModified"},
              "400": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "412": {"$ref": "#/components/responses/PreconditionFailed"},
              "414": {"$ref": "#/components/responses/Error"},
              "429": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Error"}
            }
          }
    """#

    private static let patchOperation = #"""
    {
            "operationId": "updateScalableTargetDimension",
            "summary": "Change a dimension; the answer comes once the change is on disk.",
            "description": "With --api-keys, setting actualCapacity, scalingStatus or failureReason needs a key in x-api-key or Authorization: Bearer (401 without one, 403 with a wrong one).",
            "parameters": [{"$ref": "#/components/parameters/IfMatch"}, {"$ref": "#/components/parameters/IfNoneMatch"}],
            "requestBody": {
              "required": true,
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScalableTargetDimensionUpdate"}}}
            },
            "responses": {
              "200": {"description": "The dimension after the change.", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScalableTargetDimension"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "411": {"$ref": "#/components/responses/Error"},
              "412": {"$ref": "#/components/responses/PreconditionFailed"},
              "413": {"$ref": "#/components/responses/Error"},
              "414": {"$ref": "#/components/responses/Error"},
              "415": {"$ref": "#/components/responses/Error"},
              "429": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Error"}
            }
          }
    """#
}

/// The id in a dimension path, as OpenAPI declares it (the admin routes take the same parameter).
enum DimensionIDParameter {
    static let declaration = Route.Parameter(name: "scalableTargetDimensionId", schema: #"""
    {
              "name": "scalableTargetDimensionId",
              "in": "path",
              "required": true,
              "description": "1-1600 bytes of UTF-8 (percent-encoded as a path segment) without control characters or /, not . or .. (as Application Auto Scaling allows a ResourceId)",
              "schema": {"type": "string", "minLength": 1, "maxLength": 1600, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f/]+$"}
            }
    """#)
}
