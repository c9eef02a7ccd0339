import Foundation
import Testing

private let dimension = "/v1/scalableTargetDimensions/tls-id"

/// `openssl s_client` against the server; stdin is sent and then, after `seconds`, closed.
private func sClient(_ port: UInt16, _ arguments: [String], input: String = "", seconds: Double = 0.5) throws -> String {
    // The shell keeps stdin open for a moment, so s_client reads what the server sends after the handshake.
    let script = "(printf '%s' \"$1\"; sleep \(seconds)) | openssl s_client -connect 127.0.0.1:\(port) \"${@:2}\""
    return try runProcess("/bin/bash", ["-c", script, "sclient", input] + arguments).output
}

/// A server with HTTPS on a free port, its chain from a fresh PKI.
private func httpsServer(_ pki: TestPKI, _ extra: [String] = []) throws -> (ServerProcess, root: String) {
    let (root, chain, key) = try pki.serverChain()
    let server = try ServerProcess(["--https", "127.0.0.1:0", "--tls-cert", chain, "--tls-key", key] + extra)
    return (server, root.certificate)
}

@Suite("HTTPS, over real TLS clients")
struct TLSTests {
    @Test func tls12And13WorkAndOlderProtocolsAreRefused() throws {
        let pki = try TestPKI()
        let (server, root) = try httpsServer(pki)
        let url = "https://127.0.0.1:\(server.tlsPort)/time"
        #expect(try curl(url, ["--cacert", root, "--tlsv1.2", "--tls-max", "1.2"]).status == 200)
        #expect(try curl(url, ["--cacert", root, "--tlsv1.3"]).status == 200)
        // The client is allowed the old protocol (SECLEVEL=0), so a failure is the server's refusal.
        for version in ["-tls1", "-tls1_1"] {
            let output = try sClient(server.tlsPort, [version, "-cipher", "DEFAULT:@SECLEVEL=0"])
            #expect(output.contains("alert protocol version"), "\(version): \(output)")
        }
        // No cipher without forward secrecy or without AEAD is offered in TLS 1.2.
        for cipher in ["AES128-SHA", "AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES128-SHA256"] {
            let output = try sClient(server.tlsPort, ["-tls1_2", "-cipher", cipher])
            #expect(output.contains("handshake failure") || output.contains("no shared cipher"), "\(cipher): \(output)")
        }
        let alpn = try sClient(server.tlsPort, ["-alpn", "h2,http/1.1"])
        #expect(alpn.contains("ALPN protocol: http/1.1"))
        let h2Only = try sClient(server.tlsPort, ["-alpn", "h2"])
        #expect(h2Only.contains("no application protocol"))
        #expect(server.stop() == 0)
    }

    @Test func theFullChainIsServed() throws {
        let pki = try TestPKI()
        let (server, root) = try httpsServer(pki)
        let output = try sClient(server.tlsPort, ["-showcerts", "-CAfile", root])
        #expect(output.components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1 == 2)
        #expect(output.contains("Verify return code: 0 (ok)"))
        // Trusting only the root works because the server sends the intermediate.
        #expect(try curl("https://127.0.0.1:\(server.tlsPort)/time", ["--cacert", root]).status == 200)
        server.stop()
    }

    @Test func sessionsAreResumed() throws {
        let pki = try TestPKI()
        let (server, _) = try httpsServer(pki)
        let tls12 = try sClient(server.tlsPort, ["-tls1_2", "-reconnect"])
        #expect(tls12.contains("Reused, TLSv1.2"), "\(tls12)")
        let session = pki.path("session.pem")
        _ = try sClient(server.tlsPort, ["-tls1_3", "-sess_out", session])
        let tls13 = try sClient(server.tlsPort, ["-tls1_3", "-sess_in", session])
        #expect(tls13.contains("Reused, TLSv1.3"), "\(tls13)")
        server.stop()
    }

    @Test func clientRenegotiationIsRefusedButSecureRenegotiationIsSignalled() throws {
        let pki = try TestPKI()
        let (server, _) = try httpsServer(pki)
        // "R" on a line of its own makes s_client renegotiate.
        let output = try sClient(server.tlsPort, ["-tls1_2"], input: "R\n", seconds: 1)
        #expect(output.contains("Secure Renegotiation IS supported"))
        #expect(output.contains("RENEGOTIATING"))
        #expect(output.contains("no renegotiation"), "\(output)")
        #expect(try curl("https://127.0.0.1:\(server.tlsPort)/time", ["-k"]).status == 200)
        server.stop()
    }

    /// The mTLS matrix for API Gateway: two stage certificates trusted, anything else refused; `/time` stays open.
    @Test func clientCertificatesOptional() throws {
        let pki = try TestPKI()
        let preProd = try pki.selfSigned("ApiGateway-PreProd")
        let prod = try pki.selfSigned("ApiGateway-Prod")
        let expired = try pki.expiredSelfSigned("ApiGateway-Expired")
        let rogueCA = try pki.selfSigned("Rogue-CA", isCA: true)
        let rogue = try pki.issue("Rogue-Client", by: rogueCA)
        let trust = try pki.bundle("trust.pem", [preProd.certificate, prod.certificate, expired.certificate])
        let (server, root) = try httpsServer(pki, ["--client-cert", "optional", "--client-ca", trust])
        let base = "https://127.0.0.1:\(server.tlsPort)"

        let anonymousTime = try curl(base + "/time", ["--cacert", root])
        #expect(anonymousTime.status == 200)
        let anonymous = try curl(base + dimension, ["--cacert", root])
        #expect(anonymous.status == 403)
        #expect(anonymous.message?.contains("client certificate") == true)
        for stage in [preProd, prod] {
            let response = try curl(base + dimension, ["--cacert", root, "--cert", stage.certificate, "--key", stage.key])
            #expect(response.status == 200, "\(stage.certificate)")
        }
        for refused in [rogue, expired] {
            let response = try curl(base + "/time", ["--cacert", root, "--cert", refused.certificate, "--key", refused.key])
            #expect(response.status == 0, "\(refused.certificate) got \(response.status)")  // handshake refused
        }
        // Plain HTTP carries no certificate: the dimensions API is closed there too.
        #expect(try curl(server.baseURL + dimension).status == 403)
        #expect(try curl(server.baseURL + "/time").status == 200)
        #expect(server.stop() == 0)

        let fingerprint = try pki.openssl(["x509", "-in", preProd.certificate, "-noout", "-fingerprint", "-sha256"])
            .components(separatedBy: "=").last!.trimmingCharacters(in: .whitespacesAndNewlines)
        let log = server.stdout
        #expect(log.contains("\"client_subject\": \"CN=ApiGateway-PreProd\""))
        #expect(log.contains("\"client_sha256\": \"\(fingerprint)\""), "\(fingerprint) in \(log)")
        #expect(server.stderr.contains("trusted client certificate CN=ApiGateway-Expired"))
        #expect(server.stderr.contains("expired on 2021-01-01"))
    }

    @Test func clientCertificatesRequired() throws {
        let pki = try TestPKI()
        let client = try pki.selfSigned("ApiGateway-Prod")
        let (server, root) = try httpsServer(pki, ["--client-cert", "required", "--client-ca", client.certificate, "--no-http"])
        #expect(server.port == 0 && !server.stderr.contains("http://"))
        let base = "https://127.0.0.1:\(server.tlsPort)"
        #expect(try curl(base + "/time", ["--cacert", root]).status == 0)
        #expect(try curl(base + dimension, ["--cacert", root, "--cert", client.certificate, "--key", client.key]).status == 200)
        server.stop()
    }

    /// certbot renews, or a client certificate is rotated, while clients keep calling: nothing fails, and new
    /// handshakes see the new certificate.
    @Test func sighupReloadsCertificatesUnderLoad() throws {
        let pki = try TestPKI()
        let (root, firstChain, firstKey) = try pki.serverChain(serial: "0x1111", name: "first")
        let chain = pki.path("live-chain.pem")
        let key = pki.path("live-key.pem")
        try FileManager.default.copyItem(atPath: firstChain, toPath: chain)
        try FileManager.default.copyItem(atPath: firstKey, toPath: key)
        let server = try ServerProcess(["--https", "127.0.0.1:0", "--tls-cert", chain, "--tls-key", key])
        let port = server.tlsPort
        #expect(try sClient(port, ["-showcerts"]).contains("CN = first"))

        // The second certificate comes from another root: clients trust both while it rolls.
        let second = try pki.serverChain(serial: "0x2222", name: "second")
        let bothRoots = try pki.bundle("roots.pem", [root.certificate, second.root.certificate])
        let stop = Flag()
        let results = Tally()
        let group = DispatchGroup()
        for _ in 0..<2 {
            group.enter()
            Thread {
                while !stop.isSet {
                    let status = (try? curl("https://127.0.0.1:\(port)/time", ["--cacert", bothRoots]).status) ?? -1
                    results.add(status == 200)
                }
                group.leave()
            }.start()
        }
        usleep(300_000)
        // What certbot does: new files in place, then a signal.
        try FileManager.default.removeItem(atPath: chain)
        try FileManager.default.copyItem(atPath: second.chain, toPath: chain)
        try FileManager.default.removeItem(atPath: key)
        try FileManager.default.copyItem(atPath: second.key, toPath: key)
        server.signal(SIGHUP)
        let deadline = Date().addingTimeInterval(10)
        while !server.stderr.contains("TLS reloaded") && Date() < deadline { usleep(10_000) }
        usleep(300_000)
        stop.set()
        group.wait()
        #expect(results.failures == 0, "\(results.failures) of \(results.total) requests failed")
        #expect(results.total > 4)
        let served = try sClient(port, ["-showcerts"])
        #expect(served.contains("CN = second"))
        let serial = try pki.openssl(["x509", "-in", chain, "-noout", "-serial"])
        #expect(serial.contains("2222"))

        // A broken file on reload: the old certificate stays, the server stays up.
        try "not a certificate".write(toFile: chain, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        let failedDeadline = Date().addingTimeInterval(10)
        while !server.stderr.contains("TLS reload failed") && Date() < failedDeadline { usleep(10_000) }
        #expect(server.stderr.contains("TLS reload failed"))
        #expect(server.stderr.contains(chain))
        #expect(try curl("https://127.0.0.1:\(port)/time", ["--cacert", bothRoots]).status == 200)
        #expect(server.stop() == 0)
    }

    @Test func aStalledHandshakeDelaysNobody() throws {
        let pki = try TestPKI()
        let (server, root) = try httpsServer(pki, ["--header-timeout", "1", "--event-loops", "1"])
        let stalled = try RawConnection(port: server.tlsPort)
        // The first bytes of a TLS record header and ClientHello, and then nothing.
        stalled.send([0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00])
        let started = Date()
        #expect(try curl("https://127.0.0.1:\(server.tlsPort)/time", ["--cacert", root]).status == 200)
        #expect(Date().timeIntervalSince(started) < 5)
        // And the header timeout closes it.
        #expect(stalled.readUntilClosed(timeout: 10).closed)
        server.stop()
    }

    @Test func badTLSFilesStopStartUpWithOneLine() throws {
        let pki = try TestPKI()
        let (_, chain, key) = try pki.serverChain()
        let other = try pki.selfSigned("other")
        let expired = try pki.expiredSelfSigned("expired-server")
        let garbage = pki.path("garbage.pem")
        try "garbage".write(toFile: garbage, atomically: true, encoding: .utf8)
        let state = ServerProcess.temporaryDirectory()
        let cases: [([String], String)] = [
            (["--tls-cert", pki.path("missing.pem"), "--tls-key", key], "missing.pem"),
            (["--tls-cert", chain, "--tls-key", other.key], "does not match"),
            (["--tls-cert", expired.certificate, "--tls-key", expired.key], "has expired"),
            (["--tls-cert", garbage, "--tls-key", key], "garbage.pem"),
            (["--tls-cert", chain, "--tls-key", key, "--client-cert", "optional", "--client-ca", garbage], "garbage.pem"),
            (["--tls-cert", chain, "--tls-key", key, "--client-cert", "optional"], "--client-ca"),
            (["--tls-cert", chain], "--tls-key"),
        ]
        for (arguments, expected) in cases {
            let (status, output) = try runCapacityd(["serve", "--http", "127.0.0.1:0", "--https", "127.0.0.1:0",
                                                     "--state-dir", state] + arguments)
            #expect(status != 0, "\(arguments)")
            #expect(output.contains(expected), "\(arguments): \(output)")
            #expect(output.split(separator: "\n").count <= 3, "\(output)")
        }
    }

    @Test func certificatesNearExpiryAreWarnedAbout() throws {
        let pki = try TestPKI()
        let root = try pki.selfSigned("short-root", isCA: true)
        let leaf = try pki.issue("short", by: root, days: 2, server: true)
        let server = try ServerProcess(["--https", "127.0.0.1:0", "--tls-cert", leaf.certificate, "--tls-key", leaf.key])
        #expect(server.stderr.contains("warning: server certificate CN=short"))
        // Two days from the moment openssl made it: a second later that is "1 day" and some hours.
        #expect(server.stderr.contains("expires in 2 days") || server.stderr.contains("expires in 1 day"))
        server.stop()
    }

    @Test func acmeChallengesAndTheHTTPSRedirect() throws {
        let pki = try TestPKI()
        let webroot = ServerProcess.temporaryDirectory()
        let challenges = webroot + "/.well-known/acme-challenge"
        try FileManager.default.createDirectory(atPath: challenges, withIntermediateDirectories: true)
        try "token-1.thumbprint".write(toFile: challenges + "/token-1_AZ", atomically: true, encoding: .utf8)
        try "secret".write(toFile: webroot + "/secret", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: challenges + "/link", withDestinationPath: webroot + "/secret")
        let (server, _) = try httpsServer(pki, ["--acme-webroot", webroot, "--redirect-http"])

        let challenge = try curl(server.baseURL + "/.well-known/acme-challenge/token-1_AZ")
        #expect(challenge.status == 200)
        #expect(challenge.body == "token-1.thumbprint")
        for token in ["missing", "link", "..", "..%2Fsecret", "a.b", "%2E%2E"] {
            let response = try curl(server.baseURL + "/.well-known/acme-challenge/" + token, ["--path-as-is"])
            #expect(response.status == 404, "\(token)")
            #expect(!response.body.contains("secret\""))
        }
        let redirected = try curl(server.baseURL + "/time?x=1")
        #expect(redirected.status == 308)
        #expect(redirected.headers["location"] == "https://127.0.0.1:\(server.tlsPort)/time?x=1")
        let named = try curl(server.baseURL + dimension, ["-H", "Host: api.example.com:80"])
        #expect(named.headers["location"] == "https://api.example.com:\(server.tlsPort)\(dimension)")
        // Health probes get their answer on the plain listener, and so does `capacityd healthcheck`.
        for path in ["/healthz", "/readyz"] { #expect(try curl(server.baseURL + path).status == 200, "\(path)") }
        let probe = try runCapacityd(["healthcheck", "--http", "127.0.0.1:\(server.port)"])
        #expect(probe.status == 0, "\(probe.output)")
        let forged = try curl(server.baseURL + "/time", ["-H", "Host: evil.com/x?"])
        #expect(forged.status == 400)
        #expect(try curl("https://127.0.0.1:\(server.tlsPort)/time", ["-k"]).status == 200)
        server.stop()
    }

    /// sslscan (Debian) finds no protocol below TLS 1.2 and no weak cipher.
    @Test func sslscanReportsNothingWeak() throws {
        let pki = try TestPKI()
        let (server, _) = try httpsServer(pki)
        let (status, output) = try runProcess("/usr/bin/sslscan", ["--no-colour", "127.0.0.1:\(server.tlsPort)"])
        #expect(status == 0, "\(output)")
        let lines = output.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        for protocolName in ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"] {
            #expect(lines.contains("\(protocolName) disabled"), "\(protocolName): \(output)")
        }
        #expect(lines.contains("TLSv1.2 enabled") && lines.contains("TLSv1.3 enabled"))
        #expect(lines.contains("Session renegotiation not supported"))
        // Key exchange only over modern elliptic curves.
        #expect(!output.contains("ffdhe"))
        let accepted = output.split(separator: "\n").filter { $0.contains("Accepted") || $0.contains("Preferred") }
        #expect(!accepted.isEmpty)
        for line in accepted {
            #expect(!(line.contains("CBC") || line.contains("SHA ") || line.contains("RC4") || line.contains("DES")
                      || line.contains("NULL") || line.contains("DHE-RSA") && !line.contains("ECDHE")), "\(line)")
        }
        server.stop()
    }
}

extension TLSTests {
    /// testssl.sh (Debian): protocols, cipher categories, forward secrecy and the known vulnerabilities (~20 s).
    @Test func testsslFindsNothingWeakOrVulnerable() throws {
        let pki = try TestPKI()
        let (server, _) = try httpsServer(pki)
        let (_, output) = try runProcess("/usr/bin/testssl", ["--quiet", "--color", "0", "--warnings", "off",
                                                              "-p", "-s", "-f", "-U", "--ip", "127.0.0.1",
                                                              "127.0.0.1:\(server.tlsPort)"])
        let lines = output.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        for expected in ["SSLv2 not offered (OK)", "SSLv3 not offered (OK)", "TLS 1 not offered", "TLS 1.1 not offered",
                         "TLS 1.2 offered (OK)", "TLS 1.3 offered (OK): final",
                         "Obsolete CBC ciphers (AES, ARIA etc.) not offered", "Strong encryption (AEAD ciphers) offered (OK)",
                         "Secure Client-Initiated Renegotiation not vulnerable (OK)",
                         "Secure Renegotiation (RFC 5746) supported (OK)"] {
            #expect(lines.contains(expected), "\(expected) in \(output)")
        }
        #expect(lines.contains { $0.hasPrefix("PFS is offered (OK)") || $0.hasPrefix("FS is offered (OK)") })
        #expect(!output.contains("VULNERABLE") && !output.contains("NOT ok"), "\(output)")
        server.stop()
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = (total: 0, failures: 0)
    func add(_ success: Bool) { lock.withLock { counts.total += 1; if !success { counts.failures += 1 } } }
    var total: Int { lock.withLock { counts.total } }
    var failures: Int { lock.withLock { counts.failures } }
}
