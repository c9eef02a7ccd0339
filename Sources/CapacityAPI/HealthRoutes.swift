import DimensionStorage
import HTTP1
import JSON
import TLS

/// `/healthz` (liveness: an event loop answered) and `/readyz` (readiness: the store is loaded and its last
/// write succeeded, its disk has room, and the server certificate has not expired), for load balancers, ECS and
/// Kubernetes-style probes.
public enum HealthRoutes {
    static func routes(readiness: @escaping @Sendable () -> HTTPResponse) -> [Route] {
        [
            // Not redirected to HTTPS: a probe (the image's HEALTHCHECK, a load balancer) asks where it is configured
            // to and takes a redirect for a failure.
            Route("/healthz", listenerPoliciesApply: false,
                  [Route.Operation(.get, openAPI: livenessOperation) { _, _, _ in liveness() }]),
            Route("/readyz", listenerPoliciesApply: false,
                  [Route.Operation(.get, openAPI: readinessOperation) { _, _, _ in readiness() }]),
        ]
    }

    static func liveness() -> HTTPResponse {
        JSONContent.response(Array(#"{"status": "ok"}"#.utf8))
    }

    /// `more`: what else keeps the service from being ready (a certificate the ACME client has not obtained yet).
    public static func readiness(store: DimensionStore, tls: ReloadableTLSContext?, now: Int,
                                 more: [String] = []) -> HTTPResponse {
        var problems: [String] = []
        if let problem = store.health.problem { problems.append(problem) }
        let certificates = tls?.current.certificates ?? []
        for server in certificates where server.role != "trusted client certificate" && server.daysLeft(atEpochSeconds: now) < 0 {
            problems.append("the \(server.role) \(server.subject) has expired")
        }
        problems += more
        var body = Array("{".utf8)
        if problems.isEmpty {
            body += Array(#""status": "ready""#.utf8)
        } else {
            body += Array(#""message": "#.utf8)
            JSONWriter.appendString("not ready: " + problems.joined(separator: "; "), to: &body)
            body += Array(#", "status": "unavailable""#.utf8)
        }
        body += Array(#", "certificates": ["#.utf8)
        for (index, certificate) in certificates.enumerated() {
            if index > 0 { body += Array(", ".utf8) }
            body += Array(#"{"role": "#.utf8)
            JSONWriter.appendString(certificate.role, to: &body)
            body += Array(#", "subject": "#.utf8)
            JSONWriter.appendString(certificate.subject, to: &body)
            body += Array(#", "daysLeft": "#.utf8)
            JSONWriter.appendInteger(certificate.daysLeft(atEpochSeconds: now), to: &body)
            body += Array("}".utf8)
        }
        body += Array("]}".utf8)
        return HTTPResponse(status: problems.isEmpty ? .ok : .serviceUnavailable, headers: JSONContent.headers, body: body)
    }

    private static let livenessOperation = #"""
    {
            "operationId": "getLiveness",
            "summary": "Liveness: an event loop answered.",
            "responses": {
              "200": {"description": "Alive.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Liveness"}}}}
            }
          }
    """#

    private static let readinessOperation = #"""
    {
            "operationId": "getReadiness",
            "summary": "Readiness: the store is loaded and writable, its disk has room, the certificate is valid.",
            "responses": {
              "200": {"description": "Ready.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}},
              "503": {"description": "Not ready, and why.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}}
            }
          }
    """#
}
