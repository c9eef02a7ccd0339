import HTTPClient
import Testing
@testable import Webhooks

@Suite("Webhook endpoints: https anywhere, plain http to loopback and private networks only")
struct WebhookEndpointTests {
    @Test(arguments: [
        ("https://hooks.example.com/capacity", HTTPURL.Scheme.https, "hooks.example.com", 443, "/capacity"),
        ("https://203.0.113.5:8443/a?b=c", .https, "203.0.113.5", 8443, "/a?b=c"),
        ("https://[2001:db8::1]/", .https, "2001:db8::1", 443, "/"),
        ("https://hooks.example.com?token=x#part", .https, "hooks.example.com", 443, "/?token=x"),
        ("http://127.0.0.1:8080/hook", .http, "127.0.0.1", 8080, "/hook"),
        ("http://127.255.0.9", .http, "127.255.0.9", 80, "/"),
        ("http://10.1.2.3/", .http, "10.1.2.3", 80, "/"),
        ("http://172.16.0.1/", .http, "172.16.0.1", 80, "/"),
        ("http://172.31.255.255/", .http, "172.31.255.255", 80, "/"),
        ("http://192.168.1.1/", .http, "192.168.1.1", 80, "/"),
        ("http://[::1]:9000/", .http, "::1", 9000, "/"),
        ("http://[fd12:3456::1]/", .http, "fd12:3456::1", 80, "/"),
        ("http://[fc00::1]/", .http, "fc00::1", 80, "/"),
        ("http://[::ffff:10.0.0.1]/", .http, "::ffff:10.0.0.1", 80, "/"),
        ("http://localhost:9000/hook", .http, "localhost", 9000, "/hook"),
        ("http://receiver.internal/", .http, "receiver.internal", 80, "/"),
        ("HTTPS://Hooks.Example.com/", .https, "Hooks.Example.com", 443, "/"),
    ])
    func accepted(_ text: String, _ scheme: HTTPURL.Scheme, _ host: String, _ port: Int, _ path: String) throws {
        let url = try WebhookEndpoint(text).url
        #expect(url.scheme == scheme && url.host == host && url.port == port && url.pathAndQuery == path)
    }

    @Test(arguments: [
        ("http://8.8.8.8/", WebhookEndpointError.plainHTTPToPublicAddress("8.8.8.8")),
        ("http://172.32.0.1/", .plainHTTPToPublicAddress("172.32.0.1")),
        ("http://172.15.255.255/", .plainHTTPToPublicAddress("172.15.255.255")),
        ("http://169.254.169.254/latest", .plainHTTPToPublicAddress("169.254.169.254")),
        ("http://0.0.0.0/", .plainHTTPToPublicAddress("0.0.0.0")),
        ("http://[2001:db8::1]/", .plainHTTPToPublicAddress("2001:db8::1")),
        ("http://[fe80::1]/", .plainHTTPToPublicAddress("fe80::1")),
        ("http://[::]/", .plainHTTPToPublicAddress("::")),
        ("http://[::ffff:8.8.8.8]/", .plainHTTPToPublicAddress("::ffff:8.8.8.8")),
        ("ftp://hooks.example.com/", .notAURL(.notHTTP)),
        ("hooks.example.com/", .notAURL(.notHTTP)),
        ("https://hooks.example.com/a b", .notAURL(.notHTTP)),
        ("https://user:password@hooks.example.com/", .notAURL(.badHost)),
        ("https://user@hooks.example.com/", .notAURL(.badHost)),
        ("https:///path", .notAURL(.badHost)),
        ("https://hooks.example.com:0/", .notAURL(.badPort)),
        ("https://hooks.example.com:65536/", .notAURL(.badPort)),
        ("https://hooks_example.com/", .badHost("hooks_example.com")),
        ("https://::1/", .badHost(":")),
    ])
    func refused(_ text: String, _ error: WebhookEndpointError) {
        #expect(throws: error) { try WebhookEndpoint(text) }
    }

    /// Plain http to a host name: each resolved address is judged when the sender connects.
    @Test(arguments: [
        ([127, 0, 0, 1], true), ([10, 9, 8, 7], true), ([192, 168, 0, 1], true), ([8, 8, 8, 8], false),
        ([169, 254, 169, 254], false), ([UInt8](repeating: 0, count: 15) + [1], true),
        ([0xfd] + [UInt8](repeating: 0, count: 15), true), ([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 12), false),
        ([UInt8](repeating: 0, count: 10) + [0xff, 0xff, 8, 8, 8, 8], false),
        ([UInt8](repeating: 0, count: 10) + [0xff, 0xff, 10, 0, 0, 1], true),
    ] as [([UInt8], Bool)])
    func resolvedAddresses(_ address: [UInt8], _ admitted: Bool) throws {
        let refuse = try #require(try WebhookEndpoint("http://receiver.internal/").refusedAddress)
        #expect((refuse(address) == nil) == admitted)
        if !admitted { #expect(refuse(address)!.contains("public address")) }
    }

    @Test func httpsIsNotCheckedByAddress() throws {
        #expect(try WebhookEndpoint("https://hooks.example.com/").refusedAddress == nil)
    }
}
