import DimensionStorage
import FileStore
import HTTP1
import HTTPServer
import Scaling

/// The administrator's routes under `/admin/v1/dimensions`, which `capacityd dimensions --server URL` uses while a
/// server runs. They exist only with `--api-keys`, and every request needs a key: list, read without advancing,
/// create (409 if it exists), set fields exactly (an override, not a scaling event), delete. Without `--api-keys`
/// they answer 404, as if they were not there.
extension CapacityResponder {
    static let adminPrefix = "/admin/v1/dimensions"

    func admin(_ request: HTTPRequest, idSegment: Substring?, context: RequestContext) -> HTTPResponse? {
        guard let apiKeys else {
            return APIError.response(status: .notFound, message: "No such resource: \(request.head.path)")
        }
        let head = request.head
        guard let key = APIKeys.presentedKey(apiKeyHeader: head.headers["x-api-key"],
                                             authorization: head.headers["authorization"]) else {
            return APIError.response(for: .operatorKeyMissing)
        }
        guard apiKeys.accepts(key) else { return APIError.response(for: .operatorKeyRejected) }
        guard let idSegment else {
            let promise = context.deferResponse()
            store.allDimensions { outcome in
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
            return nil
        }
        let id: DimensionID
        do {
            id = try DimensionID(percentEncoded: idSegment)
        } catch {
            return APIError.response(for: error)
        }
        let promise = context.deferResponse()
        let answer: @Sendable (Result<Dimension, ScalingError>) -> Void = { outcome in
            switch outcome {
            case .success(let dimension): promise.succeed(JSONContent.response(DimensionJSON.encode(dimension)))
            case .failure(let error): promise.succeed(APIError.response(for: error))
            }
        }
        switch head.method {
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
            let creating = head.method == .post
            let defaults = settings.defaults
            store.update(id, { current throws(ScalingError) in
                if creating {
                    guard current == nil else { throw .alreadyExists(id) }
                    return try fields.applied(to: defaults.makeDimension(id: id))
                }
                guard let current else { throw .notFound(id) }
                return try fields.applied(to: current)
            }, completion: { outcome in answer(outcome.map(\.after)) })
        }
        return nil
    }
}
