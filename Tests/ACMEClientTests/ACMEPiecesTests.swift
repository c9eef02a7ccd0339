import Foundation
import Testing
@testable import ACME
import Crypto

@Suite("ACME client: the pieces, as tables")
struct ACMEPiecesTests {
    /// RFC 4648 §10's vectors, without padding, and the two characters base64url changes.
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func base64url(_ input: String, _ expected: String) {
        #expect(Base64URL.encode(Array(input.utf8)) == expected)
    }

    @Test func base64urlUsesDashAndUnderscore() {
        #expect(Base64URL.encode([0xfb, 0xff, 0xbf]) == "-_-_")
    }

    @Test(arguments: [
        ("https://acme.example/dir", "acme.example", 443, "/dir"),
        ("https://127.0.0.1:14000/dir", "127.0.0.1", 14000, "/dir"),
        ("https://[::1]:8443/a/b?c=d", "::1", 8443, "/a/b?c=d"),
        ("https://acme.example", "acme.example", 443, "/"),
    ])
    func urls(_ text: String, _ host: String, _ port: Int, _ path: String) throws {
        let url = try URL(text)
        #expect(url.host == host && url.port == port && url.pathAndQuery == path)
    }

    @Test(arguments: ["http://acme.example/dir", "https://", "https://a:0/", "https://a:70000/", "https://user@a/",
                      "https://a/b c", "ftp://a/"])
    func urlsRefused(_ text: String) {
        #expect(throws: ACMEError.self) { try URL(text) }
    }

    /// What the CA says goes into one log line: no control characters, bounded.
    @Test func theCAsWordsArePrintable() {
        #expect(ACMEClient.printable("a\nb\r\u{1b}[31mc\u{85}d") == "a b  [31mc d")
        #expect(ACMEClient.printable(String(repeating: "é", count: 600)).unicodeScalars.count == 500)
    }

    /// 1 minute, doubling, at most 6 hours; the jitter is a fraction of it.
    @Test(arguments: [(1, 0.0, 60), (2, 0.0, 120), (3, 0.0, 240), (8, 0.0, 7_680), (9, 0.0, 15_360), (10, 0.0, 21_600),
                      (1_000, 0.0, 21_600), (1, 0.1, 66), (1, -0.1, 54), (10, 0.1, 23_760)])
    func retries(_ failures: Int, _ jitter: Double, _ seconds: Int) {
        #expect(ACMEManager.retryDelay(afterFailures: failures, jitter: jitter) == seconds)
    }

    @Test(arguments: ["api.example.com", "localhost", "a-b.c1.example", String(repeating: "a", count: 63) + ".example"])
    func namesTheCAcanValidate(_ name: String) {
        #expect(ACMEManager.Settings.problem(withName: name) == nil)
    }

    @Test(arguments: ["*.example.com", "", "a..b", "-a.example", "a-.example", "a_b.example", "é.example", "a.example.",
                      String(repeating: "a", count: 64) + ".example", "1.2.3.4:80"])
    func namesRefused(_ name: String) {
        #expect(ACMEManager.Settings.problem(withName: name) != nil)
    }
}

/// The key's signatures and CSRs, checked by the openssl command line: an implementation that is not ours.
@Suite("ACME client: keys, signatures and CSRs against openssl")
struct ACMEKeyTests {
    let directory = NSTemporaryDirectory() + "capacityd-acme-" + UUID().uuidString

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    private func openssl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = Foundation.URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// DER of ECDSA-Sig-Value (RFC 3279): SEQUENCE { INTEGER r, INTEGER s }, from JWS's r‖s.
    private func der(_ raw: [UInt8]) -> [UInt8] {
        func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            var value = Array(bytes.drop { $0 == 0 })
            if value.isEmpty || value[0] & 0x80 != 0 { value.insert(0, at: 0) }
            return [0x02, UInt8(value.count)] + value
        }
        let body = integer(raw[0..<32]) + integer(raw[32..<64])
        return [0x30, UInt8(body.count)] + body
    }

    @Test func es256SignaturesVerifyWithOpenSSL() throws {
        let key = try ECKey.generate()
        try Data(try key.pem()).write(to: Foundation.URL(fileURLWithPath: directory + "/key.pem"))
        #expect(try openssl(["pkey", "-in", directory + "/key.pem", "-pubout", "-out", directory + "/public.pem"]).status == 0)
        let message = Array("eyJhbGciOiJFUzI1NiJ9.eyJ4IjoxfQ".utf8)
        let signature = try key.signES256(message)
        #expect(signature.count == 64)
        try Data(message).write(to: Foundation.URL(fileURLWithPath: directory + "/message"))
        try Data(der(signature)).write(to: Foundation.URL(fileURLWithPath: directory + "/signature"))
        let verified = try openssl(["dgst", "-sha256", "-verify", directory + "/public.pem", "-signature",
                                    directory + "/signature", directory + "/message"])
        #expect(verified.status == 0 && verified.output.contains("Verified OK"), "\(verified.output)")
        // A changed message must not verify: the check above is not vacuous.
        try Data(message + [0x41]).write(to: Foundation.URL(fileURLWithPath: directory + "/message"))
        #expect(try openssl(["dgst", "-sha256", "-verify", directory + "/public.pem", "-signature",
                             directory + "/signature", directory + "/message"]).status != 0)
    }

    /// The JWK's x and y are the public point openssl prints (04 ‖ x ‖ y), and the key survives its PEM.
    @Test func jwkCoordinatesAreThePublicPoint() throws {
        let key = try ECKey.generate()
        try Data(try key.pem()).write(to: Foundation.URL(fileURLWithPath: directory + "/key.pem"))
        let text = try openssl(["pkey", "-in", directory + "/key.pem", "-noout", "-text"]).output
        let pubHex = text.components(separatedBy: "pub:").last!.components(separatedBy: "ASN1 OID").first!
            .filter { $0.isHexDigit }
        let (x, y) = key.publicCoordinates
        let hex = ([0x04] + x + y).map { String(format: "%02x", $0) }.joined()
        #expect(pubHex.lowercased() == hex)
        #expect(try ECKey(pem: try key.pem()).publicCoordinates == key.publicCoordinates)
    }

    @Test func csrNamesEveryDomainAndVerifies() throws {
        let key = try ECKey.generate()
        let csr = try key.certificateRequest(names: ["api.example.com", "www.example.com"])
        try Data(csr).write(to: Foundation.URL(fileURLWithPath: directory + "/csr.der"))
        let shown = try openssl(["req", "-in", directory + "/csr.der", "-inform", "DER", "-noout", "-text", "-verify"])
        #expect(shown.status == 0, "\(shown.output)")
        #expect(shown.output.contains("verify OK") || shown.output.contains("Certificate request self-signature verify OK"))
        #expect(shown.output.contains("DNS:api.example.com, DNS:www.example.com"))
        #expect(shown.output.contains("CN = api.example.com") || shown.output.contains("CN=api.example.com"))
    }

    @Test func aKeyThatIsNotP256IsRefused() throws {
        #expect(try openssl(["genpkey", "-algorithm", "ed25519", "-out", directory + "/ed.pem"]).status == 0)
        let pem = Array(try Data(contentsOf: Foundation.URL(fileURLWithPath: directory + "/ed.pem")))
        #expect(throws: CryptoError.self) { try ECKey(pem: pem) }
        #expect(throws: CryptoError.self) { try ECKey(pem: Array("not a key".utf8)) }
        // Same size, other curve: the JWK would lie about it.
        #expect(try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1", "-out", directory + "/k1.pem"]).status == 0)
        let k1 = Array(try Data(contentsOf: Foundation.URL(fileURLWithPath: directory + "/k1.pem")))
        #expect(throws: CryptoError.self) { try ECKey(pem: k1) }
    }
}
