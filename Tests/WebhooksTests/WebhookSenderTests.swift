import Foundation
import Glibc
import Testing
import WebhookTestSupport
import Webhooks

/// One attempt each, over real 127.0.0.1 sockets, to Tests/Support/webhook-receiver.py, which verifies every
/// delivery with standardwebhooks.
@Suite("Webhook sender: one attempt against a real receiver")
struct WebhookSenderTests {
    let secret = try! WebhookSecret(exampleSecret)
    let body = Array(#"{"type":"dimension.changed","data":{"desiredCapacity":3}}"#.utf8)

    private func deliver(to url: String, sender: WebhookSender = WebhookSender(timeout: .seconds(5)),
                         id: String = "msg_1") throws -> DeliveryOutcome {
        sender.deliver(body, id: id, to: try WebhookEndpoint(url), secret: secret)
    }

    @Test func deliveredAndVerified() throws {
        let receiver = try WebhookReceiver(secret: exampleSecret)
        let outcome = try deliver(to: "http://127.0.0.1:\(receiver.port)/hooks?stage=prod")
        #expect(outcome.isDelivered && outcome.status == 200, "\(outcome)")
        let deliveries = try receiver.deliveries()
        #expect(deliveries.count == 1)
        let delivery = try #require(deliveries.first)
        #expect(delivery["verified"] as? Bool == true, "\(delivery)")
        #expect(delivery["id"] as? String == "msg_1")
        #expect(delivery["path"] as? String == "/hooks?stage=prod")
        #expect(delivery["body"] as? String == String(decoding: body, as: UTF8.self))
        let headers = try #require(delivery["headers"] as? [String: String])
        #expect(headers["content-type"] == "application/json")
        #expect(headers["user-agent"] == "capacityd-webhook")
        // HTTP/1.1 connections persist unless a side says otherwise: the sender does not.
        #expect(headers["connection"] == nil)
        #expect(headers["host"] == "127.0.0.1:\(receiver.port)")
    }

    /// A host name under plain http is resolved, and admitted because it resolves to loopback.
    @Test func localhostByName() throws {
        let receiver = try WebhookReceiver(secret: exampleSecret)
        let outcome = try deliver(to: "http://localhost:\(receiver.port)/")
        #expect(outcome.isDelivered, "\(outcome)")
        #expect(try receiver.deliveries().first?["verified"] as? Bool == true)
    }

    @Test func aServerErrorFails() throws {
        let receiver = try WebhookReceiver(secret: exampleSecret, ["--statuses", "500,200"])
        let url = "http://127.0.0.1:\(receiver.port)/"
        let failed = try deliver(to: url)
        #expect(!failed.isDelivered && failed.status == 500 && failed.reason == "status 500", "\(failed)")
        let retried = try deliver(to: url)
        #expect(retried.isDelivered && retried.status == 200, "\(retried)")
        let deliveries = try receiver.deliveries()
        #expect(deliveries.map { $0["id"] as? String } == ["msg_1", "msg_1"])
        #expect(deliveries.allSatisfy { $0["verified"] as? Bool == true })
    }

    /// Only 2xx is delivered: 1xx is not an answer, 3xx is not followed, 4xx fails.
    @Test(arguments: [201, 204, 299, 302, 307, 308, 400, 404, 410, 429, 503])
    func statuses(_ status: Int) throws {
        let receiver = try WebhookReceiver(secret: exampleSecret, ["--statuses", String(status)])
        let outcome = try deliver(to: "http://127.0.0.1:\(receiver.port)/")
        #expect(outcome.status == status, "\(outcome)")
        #expect(outcome.isDelivered == (200...299).contains(status))
        if (300...399).contains(status) { #expect(outcome.reason.contains("redirects are not followed")) }
        // The Location points at a port nobody listens on: one delivery, nothing followed.
        #expect(try receiver.deliveries().count == 1)
    }

    @Test func aReceiverThatNeverAnswersTimesOut() throws {
        let receiver = try WebhookReceiver(secret: exampleSecret, ["--delay", "10"])
        let outcome = try deliver(to: "http://127.0.0.1:\(receiver.port)/", sender: WebhookSender(timeout: .seconds(1)))
        #expect(!outcome.isDelivered && outcome.status == nil, "\(outcome)")
        #expect(outcome.reason.contains("no answer within"), "\(outcome)")
        #expect(outcome.elapsed >= .milliseconds(990) && outcome.elapsed < .seconds(3), "\(outcome)")
        #expect(try receiver.deliveries().count == 1)  // it arrived; the answer did not
    }

    /// A port bound but not listening: the connection is refused, at once.
    @Test func aRefusedConnectionFails() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        try #require(bound)
        let outcome = try deliver(to: "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))/")
        #expect(!outcome.isDelivered && outcome.status == nil, "\(outcome)")
        #expect(outcome.reason.contains("Connection refused"), "\(outcome)")
        #expect(outcome.elapsed < .seconds(1))
    }

    /// An answer past the limit fails the attempt, whatever its status; one just under it does not.
    @Test(arguments: [(60_000, true), (70_000, false), (1_000_000, false)])
    func answerSize(_ bytes: Int, _ delivered: Bool) throws {
        let receiver = try WebhookReceiver(secret: exampleSecret, ["--answer-bytes", String(bytes)])
        let outcome = try deliver(to: "http://127.0.0.1:\(receiver.port)/", sender: WebhookSender(timeout: .seconds(5), maxAnswerBytes: 64 << 10))
        #expect(outcome.isDelivered == delivered, "\(outcome)")
        if !delivered { #expect(outcome.status == nil) }
    }

    @Test func anIdThatIsNoHeaderValueIsNotSent() throws {
        let receiver = try WebhookReceiver(secret: exampleSecret)
        for id in ["", "msg 1", "msg\r\nx-injected: 1", "msg_é"] {
            let outcome = try deliver(to: "http://127.0.0.1:\(receiver.port)/", id: id)
            #expect(!outcome.isDelivered && outcome.status == nil, "\(outcome)")
        }
        #expect(try receiver.deliveries().isEmpty)
    }
}
