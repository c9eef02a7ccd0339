import Crypto
import Glibc
import HTTP1
import JSON
import SystemIO

/// RFC 8555 from the client's side, for HTTP-01 only: the directory, nonces (one per request, the last
/// `Replay-Nonce` reused, `badNonce` retried), JWS requests signed ES256 by the account key (`jwk` to create the
/// account, `kid` after), the account, an order for a set of names, its authorizations, finalization with a CSR
/// and the certificate's download. Blocking; one instance per ACME thread.
final class ACMEClient {
    struct Directory {
        let newNonce: URL
        let newAccount: URL
        let newOrder: URL
    }

    private let http: HTTPSClient
    private let directoryURL: URL
    private let accountKey: ECKey
    private var directory: Directory?
    private var nonce: String?
    private(set) var accountURL: String?
    /// How long polling an authorization or an order may take before the attempt is given up.
    var pollLimitSeconds = 300
    /// Asked before every request: a server shutting down stops talking to the CA.
    var isCancelled: () -> Bool = { false }
    /// Waits between polls; the manager's version returns early when the server stops.
    var pause: (Int) -> Void = { seconds in
        var time = timespec(tv_sec: seconds, tv_nsec: 0)
        _ = nanosleep(&time, nil)
    }

    init(directory: URL, accountKey: ECKey, http: HTTPSClient) {
        directoryURL = directory
        self.accountKey = accountKey
        self.http = http
    }

    /// The account key's public JWK, members in the order RFC 7638 hashes them.
    var jwk: String {
        let (x, y) = accountKey.publicCoordinates
        return #"{"crv":"P-256","kty":"EC","x":"\#(Base64URL.encode(x))","y":"\#(Base64URL.encode(y))"}"#
    }

    /// RFC 7638: what a key authorization ends with (RFC 8555 §8.1).
    var thumbprint: String { Base64URL.encode(SHA256.digest(Array(jwk.utf8))) }

    func loadDirectory() throws(ACMEError) -> Directory {
        if let directory { return directory }
        let response = try http.get(directoryURL)
        guard response.status == 200 else { throw ACMEError.badAnswer("\(directoryURL): status \(response.status)") }
        let object = try Self.object(response.body, from: directoryURL)
        let loaded = Directory(newNonce: try Self.url(object, "newNonce"), newAccount: try Self.url(object, "newAccount"),
                               newOrder: try Self.url(object, "newOrder"))
        directory = loaded
        return loaded
    }

    /// Finds or creates the account for this key (RFC 8555 §7.3; an existing one is simply returned, 200).
    func register(email: String?) throws(ACMEError) {
        let directory = try loadDirectory()
        var payload: [UInt8] = Array(#"{"termsOfServiceAgreed": true"#.utf8)
        if let email {
            payload += Array(#", "contact": ["#.utf8)
            JSONWriter.appendString("mailto:" + email, to: &payload)
            payload += Array("]".utf8)
        }
        payload += Array("}".utf8)
        accountURL = nil
        let response = try post(directory.newAccount, payload: payload)
        guard response.status == 200 || response.status == 201, let location = response.headers["location"] else {
            throw ACMEError.badAnswer("newAccount: status \(response.status) without a Location")
        }
        _ = try URL(location)
        accountURL = location
    }

    struct Order {
        let url: URL
        var status: String
        let authorizations: [URL]
        let finalize: URL
        var certificate: URL?
    }

    func newOrder(names: [String]) throws(ACMEError) -> Order {
        let directory = try loadDirectory()
        var payload = Array(#"{"identifiers": ["#.utf8)
        for (index, name) in names.enumerated() {
            if index > 0 { payload += Array(", ".utf8) }
            payload += Array(#"{"type": "dns", "value": "#.utf8)
            JSONWriter.appendString(name, to: &payload)
            payload += Array("}".utf8)
        }
        payload += Array("]}".utf8)
        let response = try post(directory.newOrder, payload: payload)
        guard response.status == 201, let location = response.headers["location"] else {
            throw ACMEError.badAnswer("newOrder: status \(response.status) without a Location")
        }
        return try Self.order(response.body, url: try URL(location))
    }

    /// Answers the HTTP-01 challenge of an authorization that is still pending, and waits until it is valid.
    /// `publish` makes the key authorization servable at its token before the CA is told to look.
    func authorize(_ authorization: URL, publish: (_ token: String, _ keyAuthorization: String) -> Void) throws(ACMEError) {
        var object = try Self.object(try post(authorization, payload: nil).body, from: authorization)
        let identifier = (object["identifier"].flatMap { if case .object(let o) = $0 { o["value"] } else { nil } })
            .flatMap { if case .string(let s) = $0 { s } else { nil } } ?? authorization.description
        switch try Self.string(object, "status") {
        case "valid": return
        case "pending": break
        default: throw Self.failure(of: object, what: "the authorization for \(identifier)")
        }
        guard case .array(let challenges)? = object["challenges"],
              let challenge = challenges.compactMap({ value -> [String: JSONValue]? in
                  guard case .object(let c) = value, case .string("http-01")? = c["type"] else { return nil }
                  return c
              }).first else {
            throw ACMEError.badAnswer("the authorization for \(identifier) offers no http-01 challenge")
        }
        let token = try Self.string(challenge, "token")
        guard !token.isEmpty, token.utf8.count <= 255,
              token.utf8.allSatisfy({ $0 == 45 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }) else {
            throw ACMEError.badAnswer("an http-01 token that is not base64url")
        }
        publish(token, token + "." + thumbprint)
        let challengeURL = try Self.url(challenge, "url")
        _ = try post(challengeURL, payload: Array("{}".utf8))
        object = try poll(authorization, until: ["valid", "invalid", "deactivated", "expired", "revoked"])
        guard try Self.string(object, "status") == "valid" else {
            var failed = object
            // The reason a challenge failed is on the challenge (RFC 8555 §8.2), not the authorization.
            if case .array(let challenges)? = object["challenges"] {
                for case .object(let c) in challenges where c["error"] != nil { failed = c }
            }
            throw Self.failure(of: failed, what: "the http-01 challenge for \(identifier)")
        }
    }

    /// Sends the CSR once the order is ready (every authorization valid); waits for the certificate and downloads
    /// its chain (PEM). An order the CA already finalized (`valid`) is downloaded as it is.
    func finalize(_ order: Order, csr: [UInt8]) throws(ACMEError) -> [UInt8] {
        var object = try poll(order.url, until: ["ready", "valid", "invalid"])
        if try Self.string(object, "status") == "ready" {
            let payload = Array(#"{"csr": ""#.utf8) + Array(Base64URL.encode(csr).utf8) + Array(#""}"#.utf8)
            _ = try post(order.finalize, payload: payload)
            object = try poll(order.url, until: ["valid", "invalid"])
        }
        let final = try Self.order(object, url: order.url)
        guard final.status == "valid", let certificate = final.certificate else {
            throw Self.failure(of: object, what: "the order")
        }
        let response = try post(certificate, payload: nil, accept: "application/pem-certificate-chain")
        guard response.status == 200, response.body.starts(with: Array("-----BEGIN CERTIFICATE-----".utf8)) else {
            throw ACMEError.badAnswer("the certificate download is not a PEM chain (status \(response.status))")
        }
        return response.body
    }

    /// POST-as-GET until `status` is one of `final`, waiting as Retry-After says (1 to 10 s between polls).
    private func poll(_ url: URL, until final: Set<String>) throws(ACMEError) -> [String: JSONValue] {
        let deadline = Clock.monotonicMilliseconds() + Int64(pollLimitSeconds) * 1000
        while true {
            let response = try post(url, payload: nil)
            let object = try Self.object(response.body, from: url)
            if final.contains(try Self.string(object, "status")) { return object }
            guard Clock.monotonicMilliseconds() < deadline else {
                throw ACMEError.badAnswer("\(url): still \(try Self.string(object, "status")) after \(pollLimitSeconds) s")
            }
            pause(min(10, max(1, response.headers["retry-after"].flatMap { Int($0) } ?? 1)))
            guard !isCancelled() else { throw ACMEError.local("the server is shutting down") }
        }
    }

    /// A signed request (RFC 8555 §6.2): `payload` nil is a POST-as-GET. A `badNonce` refusal is retried with
    /// the fresh nonce it carries (§6.5), a few times; any other problem document is thrown.
    func post(_ url: URL, payload: [UInt8]?, accept: String = "application/json") throws(ACMEError) -> ReceivedResponse {
        var attempts = 0
        while true {
            attempts += 1
            guard !isCancelled() else { throw ACMEError.local("the server is shutting down") }
            let body = try signed(url, payload: payload, nonce: try takeNonce())
            let response = try http.post(url, jose: body, accept: accept)
            if let fresh = response.headers["replay-nonce"], !fresh.isEmpty { nonce = fresh }
            guard response.status >= 400 else { return response }
            let problem = Self.problem(response)
            if problem.problemType == "urn:ietf:params:acme:error:badNonce" && attempts < 5 { continue }
            throw problem
        }
    }

    private func takeNonce() throws(ACMEError) -> String {
        guard !isCancelled() else { throw ACMEError.local("the server is shutting down") }
        if let nonce {
            self.nonce = nil
            return nonce
        }
        let directory = try loadDirectory()
        let response = try http.head(directory.newNonce)
        guard let fresh = response.headers["replay-nonce"], !fresh.isEmpty else {
            throw ACMEError.badAnswer("newNonce gave no Replay-Nonce (status \(response.status))")
        }
        return fresh
    }

    private func signed(_ url: URL, payload: [UInt8]?, nonce: String) throws(ACMEError) -> [UInt8] {
        var protected = Array(#"{"alg": "ES256", "#.utf8)
        if let accountURL {
            protected += Array(#""kid": "#.utf8)
            JSONWriter.appendString(accountURL, to: &protected)
        } else {
            protected += Array(#""jwk": \#(jwk)"#.utf8)
        }
        protected += Array(#", "nonce": "#.utf8)
        JSONWriter.appendString(nonce, to: &protected)
        protected += Array(#", "url": "#.utf8)
        JSONWriter.appendString(url.description, to: &protected)
        protected += Array("}".utf8)
        let encodedProtected = Base64URL.encode(protected)
        let encodedPayload = payload.map { Base64URL.encode($0) } ?? ""
        let signature: [UInt8]
        do {
            signature = try accountKey.signES256(Array((encodedProtected + "." + encodedPayload).utf8))
        } catch {
            throw ACMEError.local("signing a request: \(error)")
        }
        return Array(#"{"protected": "\#(encodedProtected)", "payload": "\#(encodedPayload)", "signature": "\#(Base64URL.encode(signature))"}"#.utf8)
    }

    // MARK: Reading the CA's answers

    private static func problem(_ response: ReceivedResponse) -> ACMEError {
        guard let object = try? object(response.body, from: nil) else {
            return .problem(type: "about:blank", detail: "status \(response.status)", status: response.status)
        }
        let type = (try? string(object, "type")) ?? "about:blank"
        let detail = (try? string(object, "detail")) ?? ""
        return .problem(type: printable(type), detail: printable(detail), status: response.status)
    }

    private static func failure(of object: [String: JSONValue], what: String) -> ACMEError {
        let status = (try? string(object, "status")) ?? "failed"
        if case .object(let error)? = object["error"] {
            let type = (try? string(error, "type")) ?? "about:blank"
            let detail = (try? string(error, "detail")) ?? ""
            return .problem(type: printable(type), detail: "\(what) is \(printable(status)): \(printable(detail))", status: 0)
        }
        return .badAnswer("\(what) is \(printable(status))")
    }

    /// The CA's words go into one log line and a JSON message: no control characters (a newline would forge a
    /// line), at most 500 characters.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(500).map {
            $0.value < 0x20 || (0x7f...0x9f).contains($0.value) ? " " : $0
        }))
    }

    private static func order(_ body: [UInt8], url: URL) throws(ACMEError) -> Order {
        try order(try object(body, from: url), url: url)
    }

    private static func order(_ object: [String: JSONValue], url: URL) throws(ACMEError) -> Order {
        guard case .array(let list)? = object["authorizations"] else { throw ACMEError.badAnswer("\(url): no authorizations") }
        var authorizations: [URL] = []
        for case .string(let text) in list { authorizations.append(try URL(text)) }
        let certificate: URL? = if case .string(let text)? = object["certificate"] { try URL(text) } else { nil }
        return Order(url: url, status: try string(object, "status"), authorizations: authorizations,
                     finalize: try Self.url(object, "finalize"), certificate: certificate)
    }

    private static func object(_ body: [UInt8], from url: URL?) throws(ACMEError) -> [String: JSONValue] {
        do {
            guard case .object(let object) = try JSONParser.parse(body) else {
                throw ACMEError.badAnswer("\(url?.description ?? "the CA"): not a JSON object")
            }
            return object
        } catch let error as ACMEError {
            throw error
        } catch {
            throw ACMEError.badAnswer("\(url?.description ?? "the CA"): not JSON: \(error)")
        }
    }

    private static func string(_ object: [String: JSONValue], _ name: String) throws(ACMEError) -> String {
        guard case .string(let value)? = object[name] else { throw ACMEError.badAnswer("no string \"\(name)\"") }
        return value
    }

    private static func url(_ object: [String: JSONValue], _ name: String) throws(ACMEError) -> URL {
        try URL(try string(object, name))
    }
}
