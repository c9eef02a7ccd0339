import HTTP1
import HTTPServer

/// With client certificates on (`--client-cert optional|required`), the dimensions API answers only clients that
/// presented a certificate the server trusts — the old sample's Apache `<Location>` rule — while `/time`, the
/// health routes and the ACME challenges stay open.
public struct ClientCertificatePolicy: RequestPolicy {
    public init() {}

    public func check(_ request: HTTPRequest, context: RequestContext) -> HTTPResponse? {
        guard context.clientIdentity == nil else { return nil }
        return APIError.response(status: .forbidden, message: context.isSecure
            ? "This resource needs a client certificate the server trusts"
            : "This resource is served over HTTPS only, to clients with a trusted certificate")
    }
}
