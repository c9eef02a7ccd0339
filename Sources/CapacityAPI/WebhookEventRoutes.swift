import HTTP1
import HTTPServer
import Scaling
import StoreContract
import SystemIO

/// The administrator's routes over the store's outbox of webhook events, which `capacityd webhooks` uses while a
/// server runs: `GET /admin/v1/webhooks/events` lists every event (`?dropped=true`: only the dropped ones), and
/// `POST /admin/v1/webhooks/events/resend` makes a dropped event pending again and wakes the deliveries. Guarded
/// like the other admin routes: they exist only with `--api-keys`.
public final class WebhookEventRoutes: Sendable {
    public static let prefix = "/admin/v1/webhooks/events"

    private let outbox: (any EventOutbox)?
    /// Called after a resend, so the event is attempted at once rather than at the deliveries' next look.
    private let eventsDue: @Sendable () -> Void

    init(outbox: (any EventOutbox)?, eventsDue: @escaping @Sendable () -> Void) {
        self.outbox = outbox
        self.eventsDue = eventsDue
    }

    func routes(policies: [any RequestPolicy]) -> [Route] {
        [
            Route(Self.prefix, policies: policies, [
                Route.Operation(.get, openAPI: Self.listOperation) { request, _, context in
                    do throws(ScalingError) {
                        return self.list(droppedOnly: try Self.droppedOnly(request), context: context)
                    } catch {
                        return APIError.response(for: error)
                    }
                },
            ]),
            Route(Self.prefix + "/resend", policies: policies, [
                Route.Operation(.post, openAPI: Self.resendOperation) { request, _, context in
                    self.resend(request.body, context: context)
                },
            ]),
        ]
    }

    private func list(droppedOnly: Bool, context: RequestContext) -> HTTPResponse? {
        let outbox = self.outbox
        return offLoop(context) {
            guard let outbox else { return JSONContent.response(OutboxEntryJSON.encode([])) }
            switch outbox.outboxEntries() {
            case .success(let entries):
                return JSONContent.response(OutboxEntryJSON.encode(entries.filter { $0.dropped || !droppedOnly }))
            case .failure(let error):
                return APIError.response(for: .store(error))
            }
        }
    }

    private func resend(_ body: [UInt8], context: RequestContext) -> HTTPResponse? {
        let key: EventKey?
        do {
            key = try Self.decodeKey(body)
        } catch {
            return APIError.response(for: error)
        }
        let missing = APIError.response(status: .notFound, message: "No such dropped event")
        guard let key else { return missing }
        let (outbox, eventsDue) = (self.outbox, self.eventsDue)
        return offLoop(context) {
            guard let outbox else { return missing }
            switch outbox.resend(key, now: Clock.epochMilliseconds()).flatMap({ resent in
                outbox.outboxEntries().map { entries in resent ? entries.first { $0.event.key == key } : nil }
            }) {
            case .success(let entry?):
                eventsDue()
                var out: [UInt8] = []
                OutboxEntryJSON.append(entry, to: &out)
                return JSONContent.response(out)
            case .success(nil):
                // No such dropped event (or, resent, it was delivered before this look: a poll found it due).
                return missing
            case .failure(let error):
                return APIError.response(for: .store(error))
            }
        }
    }

    /// Runs `answer` on a thread of its own, since the outbox's calls may wait on the disk or the database, and
    /// answers with what it returns on the connection's loop. These are rare calls of an administrator's: a
    /// thread each is cheaper than a worker kept for them.
    private func offLoop(_ context: RequestContext, _ answer: @escaping @Sendable () -> HTTPResponse) -> HTTPResponse? {
        let promise = context.deferResponse()
        let run: @Sendable () -> Void = {
            let response = answer()
            promise.onLoop { promise.succeed(response) }
        }
        do {
            try PosixThread(name: "admin-outbox", run).detach()
        } catch {
            promise.onLoop {
                promise.succeed(APIError.response(status: .serviceUnavailable, message: "No thread for the request: \(error)"))
            }
        }
        return nil
    }

    /// The query's `dropped`: `true` keeps only the dropped events, `false` (or none) keeps all.
    private static func droppedOnly(_ request: HTTPRequest) throws(ScalingError) -> Bool {
        let target = request.head.target
        guard let query = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return false }
        var droppedOnly = false
        for parameter in query.split(separator: "&") where parameter.hasPrefix("dropped=") || parameter == "dropped" {
            switch parameter.dropFirst("dropped=".count) {
            case "true": droppedOnly = true
            case "false": droppedOnly = false
            default: throw .invalidUpdate("dropped must be true or false")
            }
        }
        return droppedOnly
    }

    /// `{"scalableTargetDimensionId": …, "revision": N, "receiver": "URL"}`, all three required; nil for a key no
    /// event can have (an id no dimension can have, a revision past any), which is no such event rather than a bad
    /// request.
    static func decodeKey(_ body: [UInt8]) throws(ScalingError) -> EventKey? {
        let object = try JSONBody.object(body, allowed: ["scalableTargetDimensionId", "revision", "receiver"])
        guard let id = try object.string("scalableTargetDimensionId"), let revision = try object.number("revision"),
              let receiver = try object.string("receiver") else {
            throw .invalidUpdate("The body needs scalableTargetDimensionId, revision and receiver")
        }
        guard revision >= 0, revision == revision.rounded() else {
            throw .invalidUpdate("revision must be a whole number from 0")
        }
        guard let id = try? DimensionID(id), let revision = UInt64(exactly: revision) else { return nil }
        return EventKey(id: id, revision: revision, receiver: receiver)
    }

    private static let listOperation = #"""
    {
            "operationId": "adminListWebhookEvents",
            "summary": "Every webhook event in the outbox, pending and dropped (administrators; needs --api-keys and a key, else 404).",
            "parameters": [{"name": "dropped", "in": "query", "required": false, "description": "true: only the dropped events.", "schema": {"type": "boolean"}}],
            "responses": {
              "200": {"description": "The events.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/WebhookEvent"}}}}},
              "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"}, "414": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Error"}
            }
          }
    """#

    private static let resendOperation = #"""
    {
            "operationId": "adminResendWebhookEvent",
            "summary": "Make a dropped webhook event pending again and attempt it at once.",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false,
              "required": ["scalableTargetDimensionId", "revision", "receiver"],
              "properties": {"scalableTargetDimensionId": {"type": "string"}, "revision": {"type": "integer", "minimum": 0}, "receiver": {"type": "string"}}}}}},
            "responses": {
              "200": {"description": "The event, pending again.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookEvent"}}}},
              "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"}, "414": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Error"}
            }
          }
    """#
}
