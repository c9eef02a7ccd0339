import HTTP1
import JSON

/// `/healthz` (liveness: an event loop answered) and `/readyz` (readiness: the store is loaded and its last
/// write succeeded, its disk has room, and the server certificate has not expired), for load balancers, ECS and
/// Kubernetes-style probes.
enum HealthRoutes {
    static func routes(readiness: @escaping @Sendable () -> Readiness) -> [Route] {
        [
            // Not redirected to HTTPS: a probe (the image's HEALTHCHECK, a load balancer) asks where it is configured
            // to and takes a redirect for a failure.
            Route("/healthz", listenerPoliciesApply: false,
                  [Route.Operation(.get, openAPI: livenessOperation) { _, _, _ in liveness() }]),
            Route("/readyz", listenerPoliciesApply: false,
                  [Route.Operation(.get, openAPI: readinessOperation) { _, _, _ in Self.readiness(readiness()) }]),
        ]
    }

    static func liveness() -> HTTPResponse {
        JSONContent.response(Array(#"{"status": "ok"}"#.utf8))
    }

    static func readiness(_ readiness: Readiness) -> HTTPResponse {
        let problems = readiness.problems
        var body = Array("{".utf8)
        if problems.isEmpty {
            body += Array(#""status": "ready""#.utf8)
        } else {
            body += Array(#""message": "#.utf8)
            JSONWriter.appendString("not ready: " + problems.joined(separator: "; "), to: &body)
            body += Array(#", "status": "unavailable""#.utf8)
        }
        body += Array(#", "certificates": ["#.utf8)
        for (index, certificate) in readiness.certificates.enumerated() {
            if index > 0 { body += Array(", ".utf8) }
            body += Array(#"{"role": "#.utf8)
            JSONWriter.appendString(certificate.role, to: &body)
            body += Array(#", "subject": "#.utf8)
            JSONWriter.appendString(certificate.subject, to: &body)
            body += Array(#", "daysLeft": "#.utf8)
            JSONWriter.appendInteger(certificate.daysLeft, to: &body)
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
