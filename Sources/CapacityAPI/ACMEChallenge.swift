import HTTP1
import SystemIO

/// ACME HTTP-01 (RFC 8555 §8.3): `GET /.well-known/acme-challenge/{token}` answers the key authorization
/// capacityd's own ACME client holds for that token, else the file certbot's webroot plugin wrote for it. This is the one place request bytes name a file, so the token is held to the
/// RFC's base64url alphabet (no `/`, no `.`: it cannot leave the challenge directory), the file is opened without
/// following symlinks, and only a small regular file is served. Nothing else of the webroot is reachable.
enum ACMEChallenge {
    static let pathPrefix = "/.well-known/acme-challenge/"

    /// Served over plain HTTP even with `--redirect-http`: the CA fetches it there (RFC 8555 §8.3).
    static func route(webroot: String?, memory: (@Sendable (Substring) -> [UInt8]?)?) -> Route {
        Route(pathPrefix + "{token}", parameter: Route.Parameter(name: "token", schema: #"""
        {"name": "token", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,255}$"}}
        """#), listenerPoliciesApply: false, [
            Route.Operation(.get, openAPI: operation) { _, token, _ in
                response(token: token, webroot: webroot, memory: memory)
            },
        ])
    }

    private static let operation = #"""
    {
            "operationId": "getACMEChallenge",
            "summary": "ACME HTTP-01 key authorization: of capacityd's own order (--acme-domain) or from --acme-webroot (404 unless one is pending).",
            "responses": {
              "200": {"description": "Key authorization.", "content": {"application/octet-stream": {"schema": {"type": "string"}}}},
              "404": {"$ref": "#/components/responses/Error"}
            }
          }
    """#
    /// A key authorization is a token, a dot and a 43-character thumbprint; anything much larger is not one.
    static let maxFileBytes = 4096
    static let maxTokenLength = 255

    static func isValidToken(_ token: Substring) -> Bool {
        guard !token.isEmpty, token.utf8.count <= maxTokenLength else { return false }
        return token.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"): true
            default: false
            }
        }
    }

    /// Reads the challenge file; small and rare, so a direct read on the loop thread costs less than a hop.
    static func response(token: Substring, webroot: String?, memory: (@Sendable (Substring) -> [UInt8]?)?) -> HTTPResponse {
        guard isValidToken(token) else {
            return APIError.response(status: .notFound, message: "No such ACME challenge")
        }
        if let bytes = memory?(token) {
            return HTTPResponse(status: .ok, headers: [("Content-Type", "application/octet-stream")], body: bytes)
        }
        guard let webroot else { return APIError.response(status: .notFound, message: "No such ACME challenge") }
        let path = webroot + pathPrefix + token
        guard let bytes = FileSystem.readRegularFile(path, maxBytes: maxFileBytes, followSymlinks: false),
              bytes.count <= maxFileBytes else {
            return APIError.response(status: .notFound, message: "No such ACME challenge")
        }
        return HTTPResponse(status: .ok, headers: [("Content-Type", "application/octet-stream")], body: bytes)
    }
}
