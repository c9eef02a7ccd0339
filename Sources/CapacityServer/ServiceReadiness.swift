import ACME
import CapacityAPI
import StoreContract
import TLS

/// `/readyz`'s inputs, gathered from the parts that know them: the store's problem, each certificate served
/// that has expired, and a certificate the ACME client has not obtained yet.
enum ServiceReadiness {
    static func current(store: DimensionStore, tls: ReloadableTLSContext?, acme: ACMEManager?, now: Int) -> Readiness {
        var problems: [String] = []
        if let problem = store.health.problem { problems.append(problem) }
        let certificates = tls?.current.certificates ?? []
        // A trusted client certificate is not served: one that has expired refuses its client, not the service.
        for server in certificates where server.role != "trusted client certificate" && server.daysLeft(atEpochSeconds: now) < 0 {
            problems.append("the \(server.role) \(server.subject) has expired")
        }
        if let problem = acme?.readinessProblem() { problems.append(problem) }
        return Readiness(problems: problems, certificates: certificates.map {
            Readiness.Certificate(role: $0.role, subject: $0.subject, daysLeft: $0.daysLeft(atEpochSeconds: now))
        })
    }
}
