/// What `/readyz` answers from, gathered by the server: why it is not ready (nothing when it is) and the
/// certificates it holds, each with the days it has left.
public struct Readiness: Sendable {
    public struct Certificate: Sendable {
        /// What the certificate is for: "server certificate", "acme certificate", "trusted client certificate".
        public var role: String
        public var subject: String
        /// Negative once expired.
        public var daysLeft: Int

        public init(role: String, subject: String, daysLeft: Int) {
            self.role = role
            self.subject = subject
            self.daysLeft = daysLeft
        }
    }

    /// In words, each a reason on its own (`the last store write failed: …`).
    public var problems: [String]
    public var certificates: [Certificate]

    public init(problems: [String], certificates: [Certificate]) {
        self.problems = problems
        self.certificates = certificates
    }
}
