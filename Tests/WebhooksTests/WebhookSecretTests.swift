import Testing
@testable import Webhooks

/// Standard Webhooks' own example secret: 24 bytes.
let exampleSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

@Suite("Webhook secrets: whsec_ and 24 to 64 bytes of padded base64")
struct WebhookSecretTests {
    @Test(arguments: [(exampleSecret, 24), ("whsec_" + String(repeating: "AAAA", count: 21) + "AA==", 64)])
    func accepted(_ text: String, _ keyBytes: Int) throws {
        #expect(try WebhookSecret(text).key.count == keyBytes)
    }

    @Test(arguments: [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", WebhookSecretError.missingPrefix),
        ("WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", .missingPrefix),
        ("", .missingPrefix),
        ("whsec_", .keyLength(0)),
        ("whsec_Zm9vYmFy", .keyLength(6)),
        ("whsec_" + String(repeating: "A", count: 88), .keyLength(66)),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", .notBase64(.length(31))),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-w", .notBase64(.character(offset: 30))),
        (exampleSecret + "\n", .notBase64(.length(33))),
    ])
    func refused(_ text: String, _ error: WebhookSecretError) {
        #expect(throws: error) { try WebhookSecret(text) }
    }

    /// Neither the text, the key's base64 nor its bytes show up however the secret is printed.
    @Test func neverPrinted() throws {
        let secret = try WebhookSecret(exampleSecret)
        for shown in ["\(secret)", String(describing: secret), String(reflecting: secret), "\([secret])"] {
            #expect(!shown.contains("MfKQ9r8G"), "\(shown)")
            #expect(!shown.contains("242"), "\(shown)")  // the key's second byte, should its bytes be listed
        }
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("MfKQ9r8G") && !dumped.contains("242"), "\(dumped)")
    }
}
