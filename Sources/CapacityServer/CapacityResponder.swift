import DimensionStorage
import FileStore
import HTTP1
import HTTPServer
import Scaling
import Synchronization

/// The capacityd API on top of the engine: `/time` and the scalable-target-dimension resource.
final class CapacityResponder: HTTPResponder {
    static let dimensionsPrefix = "/v1/scalableTargetDimensions/"

    let settings: ServiceSettings
    let store: DimensionStore
    private let transitions: TransitionLog
    private let router: Router<Route>
    private let metrics: ServiceMetrics?
    let apiKeys: APIKeys?
    private let readiness: @Sendable () -> HTTPResponse
    /// Where `--redirect-http` sends clients: the first HTTPS listener's port, known once it is bound.
    let httpsPort = Atomic<Int>(443)

    private enum Route {
        case time, getDimension, patchDimension, acmeChallenge, healthz, readyz, metrics, openAPI, adminList, admin
    }

    private let openAPIBody: [UInt8]

    init(settings: ServiceSettings, store: DimensionStore, transitions: TransitionLog, metrics: ServiceMetrics? = nil,
         apiKeys: APIKeys? = nil, readiness: @escaping @Sendable () -> HTTPResponse = HealthRoutes.liveness) {
        self.apiKeys = apiKeys
        self.settings = settings
        self.store = store
        self.transitions = transitions
        self.metrics = metrics
        self.readiness = readiness
        openAPIBody = Array(OpenAPIDocument.json(mode: settings.mode).utf8)
        var router = Router<Route>()
        router.add(.get, "/time", .time)
        router.add(.get, "/healthz", .healthz)
        router.add(.get, "/readyz", .readyz)
        router.add(.get, "/openapi.json", .openAPI)
        if metrics != nil { router.add(.get, "/metrics", .metrics) }
        // Always routed, so other methods get 405; without --api-keys they answer 404.
        router.add(.get, Self.adminPrefix, .adminList)
        for method in [HTTPMethod.get, .post, .put, .delete] { router.add(method, Self.adminPrefix + "/*", .admin) }
        router.add(.get, Self.dimensionsPrefix + "*", .getDimension)
        router.add(.patch, Self.dimensionsPrefix + "*", .patchDimension)
        if settings.acmeWebroot != nil { router.add(.get, ACMEChallenge.pathPrefix + "*", .acmeChallenge) }
        self.router = router
    }

    func respond(to request: HTTPRequest, context: RequestContext) -> HTTPResponse? {
        let match = router.match(method: request.head.method, path: request.head.path)
        if settings.redirectHTTP && !context.isSecure {
            if case .found(.acmeChallenge, _) = match {} else {
                return HTTPSRedirect.response(for: request.head, httpsPort: httpsPort.load(ordering: .relaxed))
            }
        }
        switch match {
        case .notFound:
            return APIError.response(status: .notFound, message: "No such resource: \(request.head.path)")
        case .methodNotAllowed(let allow):
            return APIError.response(status: .methodNotAllowed,
                                     message: "Method \(request.head.method.name) is not allowed here",
                                     headers: [("Allow", allow)])
        case .found(.time, _):
            return TimeRoute.response()
        case .found(.adminList, _):
            return admin(request, idSegment: nil, context: context)
        case .found(.admin, let idSegment):
            return admin(request, idSegment: idSegment, context: context)
        case .found(.openAPI, _):
            return JSONContent.response(openAPIBody)
        case .found(.healthz, _):
            return HealthRoutes.liveness()
        case .found(.readyz, _):
            return readiness()
        case .found(.metrics, _):
            guard let metrics else { return nil }
            let promise = context.deferResponse()
            store.allDimensions { dimensions in
                let text = metrics.render(now: WallClock.now().seconds, dimensions: dimensions)
                promise.succeed(HTTPResponse(status: .ok,
                                             headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                                             body: Array(text.utf8)))
            }
            return nil
        case .found(.acmeChallenge, let token):
            return ACMEChallenge.response(token: token, webroot: settings.acmeWebroot ?? "")
        case .found(.getDimension, let idSegment), .found(.patchDimension, let idSegment):
            if settings.dimensionsNeedClientCertificate && context.clientIdentity == nil {
                return APIError.response(status: .forbidden, message: context.isSecure
                    ? "This resource needs a client certificate the server trusts"
                    : "This resource is served over HTTPS only, to clients with a trusted certificate")
            }
            return dimension(request, idSegment: idSegment, context: context)
        }
    }

    func errorResponse(status: HTTPStatus, message: String) -> HTTPResponse {
        APIError.response(status: status, message: message)
    }

    // MARK: Dimensions

    private func dimension(_ request: HTTPRequest, idSegment: Substring, context: RequestContext) -> HTTPResponse? {
        let method = request.head.method == .patch ? "PATCH" : "GET"
        let id: DimensionID
        do {
            id = try DimensionID(percentEncoded: idSegment)
        } catch {
            return APIError.response(for: error)
        }
        let change: @Sendable (Dimension?) throws(ScalingError) -> Dimension
        if request.head.method == .patch {
            let update: DimensionUpdate
            switch decodeUpdate(request) {
            case .failure(let refusal):
                transitions.record(method: method, id: id.value, body: request.body, outcome: .failure(refusal.error))
                return refusal.response
            case .success(let decoded):
                update = decoded
            }
            change = { [settings] current throws(ScalingError) in
                ScalingMachine.apply(update, to: try settings.existing(current, id: id))
            }
        } else {
            change = { [settings] current throws(ScalingError) in
                ScalingMachine.observe(try settings.existing(current, id: id), mode: settings.mode)
            }
        }
        let promise = context.deferResponse()
        let transitions = self.transitions
        let body = request.body
        store.update(id, change) { outcome in
            transitions.record(method: method, id: id.value, body: body, outcome: outcome)
            switch outcome {
            case .success(let result): promise.succeed(JSONContent.response(DimensionJSON.encode(result.after)))
            case .failure(let error): promise.succeed(APIError.response(for: error))
            }
        }
        return nil
    }

    private struct Refusal: Error {
        let error: ScalingError
        let response: HTTPResponse
    }

    /// Framing and media type first (411, 415), then the body itself (400).
    private func decodeUpdate(_ request: HTTPRequest) -> Result<DimensionUpdate, Refusal> {
        let head = request.head
        if head.framing == .none && head.headers["content-length"] == nil {
            let message = "A PATCH needs a body with Content-Length or chunked Transfer-Encoding"
            return .failure(Refusal(error: .invalidUpdate(message),
                                    response: APIError.response(status: .lengthRequired, message: message)))
        }
        guard UpdateDecoder.isJSON(contentType: head.headers["content-type"]) else {
            let message = "The body must be sent as Content-Type: application/json"
            return .failure(Refusal(error: .invalidUpdate(message),
                                    response: APIError.response(status: .unsupportedMediaType, message: message)))
        }
        do throws(ScalingError) {
            let update = try UpdateDecoder.decode(request.body)
            try checkOperatorKey(update, head: head)
            try update.validate(in: settings.mode)
            return .success(update)
        } catch {
            return .failure(Refusal(error: error, response: APIError.response(for: error)))
        }
    }

    /// With `--api-keys`, the operator fields need a valid key; AWS's desiredCapacity alone does not (it is
    /// governed by the client-certificate policy).
    private func checkOperatorKey(_ update: DimensionUpdate, head: RequestHead) throws(ScalingError) {
        guard let apiKeys, !update.operatorFields.isEmpty else { return }
        guard let key = APIKeys.presentedKey(apiKeyHeader: head.headers["x-api-key"],
                                             authorization: head.headers["authorization"]) else {
            throw .operatorKeyMissing
        }
        guard apiKeys.accepts(key) else { throw .operatorKeyRejected }
    }
}

enum TimeRoute {
    /// `{"The current epoch time": 1732456789}`, the old sample's exact body.
    static func response() -> HTTPResponse {
        JSONContent.response(body(epochSeconds: WallClock.now().seconds))
    }

    static func body(epochSeconds: Int) -> [UInt8] {
        var body = Array("{\"The current epoch time\": ".utf8)
        body.append(contentsOf: String(epochSeconds).utf8)
        body.append(UInt8(ascii: "}"))
        return body
    }
}
