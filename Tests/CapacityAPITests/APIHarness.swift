@testable import CapacityAPI
import StoreContract
import Glibc
import HTTP1
import HTTPServer
import JSON
import Scaling
import SystemIO
@testable import TLS

/// The API as `CapacityService` wires it (`APIRoutes.api` behind a `CapacityResponder`), over the in-memory store,
/// asked through `LocalExchange`: each request is HTTP/1.1 bytes through the real parser, its answer (deferred or
/// not) is waited for, and no socket, event loop or process is involved. What the connection adds on the wire
/// (`Date`, `Server`, `Content-Length`, `Connection`, gzip) is the end-to-end tier's to check.
struct APIHarness {
    /// What a request arrives with besides its bytes.
    struct Origin {
        var peer = "127.0.0.1:40000"
        var isSecure = false
        var client: ClientIdentity?

        static let plain = Origin()
        static let https = Origin(isSecure: true)
        static let verifiedClient = Origin(isSecure: true, client: ClientIdentity(subject: "CN=client", fingerprint: "AB:CD"))
    }

    let store: MemoryStore
    let responder: CapacityResponder

    /// `apiKeys`: the key file's lines (nil: no `--api-keys`); `redirectHTTP`: `--redirect-http`; `eventsDue`:
    /// what the webhook deliveries are told when an event is resent.
    init(_ configuration: APIConfiguration = APIConfiguration(), store: MemoryStore = MemoryStore(),
         apiKeys: [String]? = nil, rateLimiter: RateLimiter? = nil, redirectHTTP: Bool = false,
         waiters: DimensionWaiters = DimensionWaiters(limit: 10_000),
         eventsDue: @escaping @Sendable () -> Void = {}) throws {
        self.store = store
        let keys = try apiKeys.map { lines in
            let path = Self.temporaryDirectory() + "/api-keys"
            let file = try FileSystem.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
            defer { file.close() }
            try FileSystem.write(Array(lines.map { $0 + "\n" }.joined().utf8), to: file, at: 0)
            return try APIKeys(path: path)
        }
        let dependencies = APIRoutes.Dependencies(
            store: store, transitions: TransitionLog(directory: Self.temporaryDirectory()), apiKeys: keys,
            readiness: { Readiness(problems: store.health.problem.map { [$0] } ?? [], certificates: []) },
            metrics: nil, redirect: redirectHTTP ? HTTPSRedirect() : nil, rateLimiter: rateLimiter, waiters: waiters,
            eventsDue: eventsDue)
        store.observeChanges { waiters.storeChanged($0) }
        responder = CapacityResponder(APIRoutes.api(configuration, dependencies))
    }

    /// Sends `method target` with `headers` and, if given, `body` (with its `Content-Length`).
    func send(_ method: String, _ target: String, headers: [(String, String)] = [], body: String? = nil,
              from origin: Origin = .plain) throws -> Reply {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: api.example\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "\r\n" + (body ?? "")
        let bytes = Array(text.utf8)
        var parser = RequestParser()
        guard case .complete(let request, let consumed) = bytes.withUnsafeBufferPointer({ parser.parse($0) }),
              consumed == bytes.count else {
            throw HarnessError("the parser did not take \(text.debugDescription) as one request")
        }
        guard let answer = LocalExchange.answer(request, by: responder, peer: origin.peer, isSecure: origin.isSecure,
                                                clientIdentity: origin.client, waitingAtMost: 10_000) else {
            throw HarnessError("no answer to \(method) \(target) within 10 s")
        }
        return Reply(answer.response)
    }

    func get(_ target: String, headers: [(String, String)] = [], from origin: Origin = .plain) throws -> Reply {
        try send("GET", target, headers: headers, from: origin)
    }

    /// A PATCH as AWS sends it: a JSON body.
    func patch(_ target: String, _ body: String, contentType: String = "application/json",
               headers: [(String, String)] = [], from origin: Origin = .plain) throws -> Reply {
        try send("PATCH", target, headers: [("Content-Type", contentType)] + headers, body: body, from: origin)
    }

    /// A directory of its own under /tmp, for the transition log and key files.
    static func temporaryDirectory() -> String {
        var template = Array("/tmp/capacityd-api-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!).map { String(cString: $0) } } ?? "/tmp"
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A response as the responder made it: status, headers (names lower-cased) and body.
struct Reply: Equatable {
    let status: Int
    let headers: [String: String]
    let body: String

    init(_ response: HTTPResponse) {
        status = response.status.code
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        self.headers = headers
        body = String(decoding: response.body, as: UTF8.self)
    }

    /// The body as a JSON object, nil if it is not one.
    var json: [String: JSONValue]? {
        guard case .object(let members)? = try? JSONParser.parse(Array(body.utf8)) else { return nil }
        return members
    }

    var message: String? { string("message") }

    func string(_ name: String) -> String? {
        guard case .string(let value)? = json?[name] else { return nil }
        return value
    }

    func number(_ name: String) -> Double? {
        guard case .number(let value)? = json?[name] else { return nil }
        return value
    }

    /// A dimension's (actual, desired, status), nil unless the body is one.
    var state: DimensionState? {
        guard let actual = number("actualCapacity"), let desired = number("desiredCapacity"),
              let status = string("scalingStatus") else { return nil }
        return DimensionState(actual, desired, status)
    }
}

/// What a walk through the modes looks at: actual and desired capacity, and the status.
struct DimensionState: Equatable, CustomStringConvertible {
    let actual: Double
    let desired: Double
    let status: String

    init(_ actual: Double, _ desired: Double, _ status: String) {
        self.actual = actual
        self.desired = desired
        self.status = status
    }

    var description: String { "(\(actual), \(desired), \(status))" }
}
