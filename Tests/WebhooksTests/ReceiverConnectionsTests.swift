import Testing
import WebhookTestSupport
import Webhooks

/// Attempts one after the other over one thread's `ReceiverConnections`, to Tests/Support/webhook-receiver.py,
/// which logs the port each delivery came from: one port, one connection.
@Suite("Webhook sender: connections kept between attempts")
struct ReceiverConnectionsTests {
    let secret = try! WebhookSecret(exampleSecret)
    let body = Array(#"{"type":"dimension.changed","data":{"desiredCapacity":3}}"#.utf8)

    /// `count` attempts over `connections`, each with an id of its own; their outcomes.
    private func deliver(_ count: Int, to receiver: WebhookReceiver, over connections: ReceiverConnections,
                         sender: WebhookSender = WebhookSender(timeout: .seconds(5))) throws -> [DeliveryOutcome] {
        let endpoint = try WebhookEndpoint("http://127.0.0.1:\(receiver.port)/hook")
        return (1...count).map { sender.deliver(body, id: "msg_\($0)", to: endpoint, secret: secret, over: connections) }
    }

    private func peers(_ receiver: WebhookReceiver) throws -> [Int] {
        try receiver.deliveries().compactMap { $0["peer"] as? Int }
    }

    @Test func consecutiveAttemptsShareOneConnection() throws {
        let receiver = try WebhookReceiver(secret: exampleSecret)
        let outcomes = try deliver(3, to: receiver, over: ReceiverConnections())
        #expect(outcomes.allSatisfy { $0.isDelivered }, "\(outcomes)")
        let deliveries = try receiver.deliveries()
        #expect(deliveries.map { $0["id"] as? String } == ["msg_1", "msg_2", "msg_3"])
        #expect(deliveries.allSatisfy { $0["verified"] as? Bool == true && ($0["headers"] as? [String: String])?["connection"] == nil },
                "\(deliveries)")
        let peers = try peers(receiver)
        #expect(peers.count == 3 && Set(peers).count == 1, "\(peers)")
    }

    /// The receiver closes each connection after its answer without saying so: every later attempt finds its
    /// kept connection closed, and is sent again on a new one within the same attempt, once.
    @Test func aConnectionTheReceiverClosedIsReplacedWithinTheAttempt() throws {
        let receiver = try WebhookReceiver(secret: exampleSecret, ["--close-after-each"])
        let outcomes = try deliver(3, to: receiver, over: ReceiverConnections())
        #expect(outcomes.allSatisfy { $0.isDelivered && $0.status == 200 }, "\(outcomes)")
        let peers = try peers(receiver)
        #expect(peers.count == 3 && Set(peers).count == 3, "\(peers)")
    }

    @Test func aConnectionIdlePastTheLimitIsNotUsed() throws {
        let receiver = try WebhookReceiver(secret: exampleSecret)
        let outcomes = try deliver(2, to: receiver, over: ReceiverConnections(idleLimit: .zero))
        #expect(outcomes.allSatisfy { $0.isDelivered }, "\(outcomes)")
        let peers = try peers(receiver)
        #expect(peers.count == 2 && Set(peers).count == 2, "\(peers)")
    }

    /// A connection whose answer did not come in time is closed, not kept: its late answer must never be read as
    /// the next attempt's.
    @Test func aTimedOutConnectionIsNotKept() throws {
        let receiver = try WebhookReceiver(secret: exampleSecret, ["--delay", "1.5"])
        let outcomes = try deliver(2, to: receiver, over: ReceiverConnections(), sender: WebhookSender(timeout: .seconds(1)))
        #expect(outcomes.allSatisfy { !$0.isDelivered && $0.reason.contains("no answer within") }, "\(outcomes)")
        let peers = try peers(receiver)
        #expect(peers.count == 2 && Set(peers).count == 2, "\(peers)")
    }
}
