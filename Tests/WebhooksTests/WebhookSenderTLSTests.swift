import Foundation
import Testing
import WebhookTestSupport
import Webhooks

/// Deliveries over https to the receiver with a throwaway certificate for `localhost` (made by the openssl
/// command), trusted through the sender's trust file in place of the system's store.
@Suite("Webhook sender over https")
struct WebhookSenderTLSTests {
    let directory = NSTemporaryDirectory() + "capacityd-webhooks-tls-" + UUID().uuidString
    let secret = try! WebhookSecret(exampleSecret)
    let body = Array(#"{"desiredCapacity":3}"#.utf8)

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                             "-keyout", directory + "/key.pem", "-out", directory + "/certificate.pem", "-days", "1",
                             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0)
    }

    private func receiver() throws -> WebhookReceiver {
        try WebhookReceiver(secret: exampleSecret, ["--tls-cert", directory + "/certificate.pem", "--tls-key", directory + "/key.pem"])
    }

    @Test func deliveredWithTheTrustFile() throws {
        let receiver = try receiver()
        let sender = WebhookSender(timeout: .seconds(5), trustFile: directory + "/certificate.pem")
        let outcome = sender.deliver(body, id: "msg_tls", to: try WebhookEndpoint("https://localhost:\(receiver.port)/"), secret: secret)
        #expect(outcome.isDelivered && outcome.status == 200, "\(outcome)")
        let delivery = try #require(try receiver.deliveries().first)
        #expect(delivery["verified"] as? Bool == true && delivery["id"] as? String == "msg_tls", "\(delivery)")
    }

    /// The second attempt skips the handshake: it comes from the first one's port.
    @Test func consecutiveAttemptsShareOneConnection() throws {
        let receiver = try receiver()
        let sender = WebhookSender(timeout: .seconds(5), trustFile: directory + "/certificate.pem")
        let endpoint = try WebhookEndpoint("https://localhost:\(receiver.port)/")
        let connections = ReceiverConnections()
        let outcomes = ["msg_1", "msg_2"].map { sender.deliver(body, id: $0, to: endpoint, secret: secret, over: connections) }
        #expect(outcomes.allSatisfy { $0.isDelivered }, "\(outcomes)")
        let deliveries = try receiver.deliveries()
        #expect(deliveries.count == 2 && deliveries.allSatisfy { $0["verified"] as? Bool == true }, "\(deliveries)")
        #expect(Set(deliveries.map { $0["peer"] as? Int }).count == 1, "\(deliveries)")
    }

    /// Not in the system's store, or not the name the certificate is for: no connection, nothing delivered.
    @Test(arguments: [(false, "localhost"), (true, "127.0.0.1")])
    func refusedWithoutTrust(_ trusted: Bool, _ host: String) throws {
        let receiver = try receiver()
        let sender = WebhookSender(timeout: .seconds(5), trustFile: trusted ? directory + "/certificate.pem" : nil)
        let outcome = sender.deliver(body, id: "msg_tls", to: try WebhookEndpoint("https://\(host):\(receiver.port)/"), secret: secret)
        #expect(!outcome.isDelivered && outcome.status == nil, "\(outcome)")
        #expect(outcome.reason.contains("certificate not trusted"), "\(outcome)")
        #expect(try receiver.deliveries().isEmpty)
    }
}
