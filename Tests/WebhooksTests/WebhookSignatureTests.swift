import Foundation
import Testing
import Webhooks

/// Signatures checked by the `standardwebhooks` package, the specification's reference verifier.
@Suite("Webhook signatures, verified by standardwebhooks")
struct WebhookSignatureTests {
    /// Each line: the secret, the headers and the body in hex; each answer `ok` or the verifier's refusal.
    private static let verifier = """
        import json, sys
        from standardwebhooks.webhooks import Webhook
        for line in sys.stdin:
            case = json.loads(line)
            try:
                Webhook(case["secret"]).verify(bytes.fromhex(case["body"]), case["headers"])
                print("ok")
            except Exception as error:
                print("refused", type(error).__name__)
        """

    private struct Case {
        let secret: String
        let headers: [(name: String, value: String)]
        let body: [UInt8]

        var line: String {
            let headers = Dictionary(uniqueKeysWithValues: headers.map { ($0.name, $0.value) })
            let object: [String: Any] = ["secret": secret, "headers": headers,
                                         "body": body.map { String(format: "%02x", $0) }.joined()]
            return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
    }

    private func verify(_ cases: [Case]) throws -> [String] {
        let (status, output) = try runPython(Self.verifier, input: cases.map(\.line).joined(separator: "\n") + "\n")
        #expect(status == 0, "\(output)")
        return output.split(separator: "\n").map(String.init)
    }

    @Test func signaturesVerify() throws {
        let secret = try WebhookSecret(exampleSecret)
        let longSecret = "whsec_" + Data((0..<64).map { UInt8($0 * 3 & 0xff) }).base64EncodedString()
        let now = Int(Date().timeIntervalSince1970)
        let bodies: [[UInt8]] = [
            Array("{}".utf8), Array(#"{"type":"dimension.changed","data":{"desiredCapacity":3,"name":"é ü"}}"#.utf8),
            Array(("[" + String(repeating: "1,", count: 50_000) + "1]").utf8),
        ]
        var cases: [Case] = []
        for (index, body) in bodies.enumerated() {
            cases.append(Case(secret: exampleSecret, headers: secret.headers(id: "msg_\(index)", timestamp: now, body: body), body: body))
        }
        // An id with dots, and a 64-byte key.
        cases.append(Case(secret: exampleSecret, headers: secret.headers(id: "msg.1.2", timestamp: now, body: bodies[1]), body: bodies[1]))
        cases.append(Case(secret: longSecret, headers: try WebhookSecret(longSecret).headers(id: "msg_k", timestamp: now, body: bodies[1]),
                          body: bodies[1]))
        #expect(try verify(cases) == Array(repeating: "ok", count: cases.count))
    }

    /// A change to the body, the id, the timestamp or the key fails verification: the check above is not vacuous.
    @Test func tamperingIsRefused() throws {
        let secret = try WebhookSecret(exampleSecret)
        let other = "whsec_" + Data(repeating: 7, count: 24).base64EncodedString()
        let now = Int(Date().timeIntervalSince1970)
        let body = Array(#"{"desiredCapacity":3}"#.utf8)
        let headers = secret.headers(id: "msg_1", timestamp: now, body: body)
        func replacing(_ name: String, _ value: String) -> [(name: String, value: String)] {
            headers.map { $0.name == name ? (name, value) : $0 }
        }
        let cases = [
            Case(secret: exampleSecret, headers: headers, body: Array(#"{"desiredCapacity":4}"#.utf8)),
            Case(secret: exampleSecret, headers: replacing("webhook-id", "msg_2"), body: body),
            Case(secret: exampleSecret, headers: replacing("webhook-timestamp", String(now + 1)), body: body),
            Case(secret: other, headers: headers, body: body),
        ]
        #expect(try verify(cases) == Array(repeating: "refused WebhookVerificationError", count: cases.count))
    }

    /// The specification's example (its README), and one with an empty body, as `Webhook.sign` writes them.
    @Test(arguments: [
        ("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, #"{"test": 2432232314}"#, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        ("msg_1", 1_700_000_000, "", "v1,gSiPCGkMwgBPwtqun+0WQGJwP7wCS5MuBHUR5RLZhOo="),
    ])
    func knownSignatures(_ id: String, _ timestamp: Int, _ body: String, _ expected: String) throws {
        let secret = try WebhookSecret(exampleSecret)
        #expect(secret.signature(id: id, timestamp: timestamp, body: Array(body.utf8)) == expected)
        let headers = secret.headers(id: id, timestamp: timestamp, body: Array(body.utf8))
        #expect(headers.map(\.name) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(headers.map(\.value) == [id, String(timestamp), expected])
    }
}
