import Foundation
import Testing

@Suite("HTTPS with several certificates, chosen by the client's server name (SNI)")
struct SNITests {
    /// Exact names first, then a wildcard one level deep, then the first pair for everything else (no SNI, an
    /// unknown name); a certificate without subjectAltName goes by its CN.
    @Test func theServerNameSelectsTheCertificate() throws {
        let pki = try TestPKI()
        let root = try pki.selfSigned("sni-root", isCA: true)
        let alpha = try pki.serverCertificate("alpha", dnsNames: ["alpha.test"], by: root)
        let beta = try pki.serverCertificate("beta", dnsNames: ["*.beta.test"], by: root)
        // An exact name the wildcard also covers: the exact one wins.
        let zeta = try pki.serverCertificate("zeta", dnsNames: ["z.beta.test"], by: root)
        let delta = try pki.serverCertificate("delta.test", dnsNames: [], by: root)
        let pairs = [alpha, beta, zeta, delta]
        let facts = try pairs.map { try certificateFacts(file: $0.certificate) }
        let (a, b, z, d) = (facts[0], facts[1], facts[2], facts[3])
        let server = try ServerProcess(["--https", "127.0.0.1:0"] + tlsPairArguments(pairs))

        let expected: [(serverName: String?, certificate: CertificateFacts)] = [
            ("alpha.test", a),
            ("x.beta.test", b),
            ("z.beta.test", z),
            ("delta.test", d),
            ("y.x.beta.test", a),   // a wildcard covers one label, not two
            ("beta.test", a),       // nor the name it stands under
            (nil, a),               // no SNI: the first pair
            ("unknown.test", a),
        ]
        for (serverName, certificate) in expected {
            let served = try servedCertificate(port: server.tlsPort, serverName: serverName)
            #expect(served?.sha256 == certificate.sha256,
                    "\(serverName ?? "no SNI"): got \(served.map(\.description) ?? "no certificate"), expected \(certificate)")
        }

        // A real client, verifying the name against the certificate it was given.
        for name in ["x.beta.test", "alpha.test", "z.beta.test"] {
            let response = try curl("https://\(name):\(server.tlsPort)/time",
                                    ["--resolve", "\(name):\(server.tlsPort):127.0.0.1", "--cacert", root.certificate])
            #expect(response.status == 200, "\(name)")
        }

        // Operators see every certificate, not only the first.
        let ready = try curl(server.baseURL + "/readyz")
        #expect(ready.status == 200)
        let listed = (ready.json?["certificates"] as? [[String: Any]]) ?? []
        let servers = listed.filter { $0["role"] as? String == "server certificate" }.compactMap { $0["subject"] as? String }
        #expect(Set(servers) == ["CN=alpha", "CN=beta", "CN=zeta", "CN=delta.test"], "\(ready.body)")
        let samples = try parsePrometheus(try curl(server.baseURL + "/metrics").body)
        for (certificate, subject) in zip(facts, ["CN=alpha", "CN=beta", "CN=zeta", "CN=delta.test"]) {
            let sample = samples.first {
                $0.key.hasPrefix("capacityd_certificate_days_left{") && $0.key.contains(#"role="server certificate""#)
                    && $0.key.contains(#"sha256="\#(certificate.sha256)""#) && $0.key.contains(#"subject="\#(subject)""#)
            }
            #expect(sample.map { (28...30).contains($0.value) } == true, "\(subject) in \(samples.keys.sorted())")
        }
        #expect(server.stop() == 0)
    }

    /// SIGHUP reloads each pair from its own files: a renewed pair is served at once, a pair whose files broke keeps
    /// its previous certificate (and says so) without holding the others back.
    @Test func sighupReloadsEachPairOnItsOwn() throws {
        let pki = try TestPKI()
        let root = try pki.selfSigned("sni-root", isCA: true)
        let alpha = try pki.serverCertificate("alpha", dnsNames: ["alpha.test"], by: root)
        let beta = try pki.serverCertificate("beta", dnsNames: ["*.beta.test"], by: root)
        // The server reads these paths; the test rewrites them as certbot's deploy hook would.
        let liveAlpha = TestPKI.Pair(certificate: pki.path("live-alpha.pem"), key: pki.path("live-alpha.key"))
        let liveBeta = TestPKI.Pair(certificate: pki.path("live-beta.pem"), key: pki.path("live-beta.key"))
        try install(alpha, at: liveAlpha)
        try install(beta, at: liveBeta)
        let a = try certificateFacts(file: alpha.certificate)
        let b = try certificateFacts(file: beta.certificate)
        let server = try ServerProcess(["--https", "127.0.0.1:0"] + tlsPairArguments([liveAlpha, liveBeta]))
        let port = server.tlsPort
        #expect(try servedCertificate(port: port, serverName: "alpha.test")?.sha256 == a.sha256)
        #expect(try servedCertificate(port: port, serverName: "x.beta.test")?.sha256 == b.sha256)

        // B renewed (same names, new key and certificate), A unchanged: one line per pair.
        let beta2 = try pki.serverCertificate("beta-2", dnsNames: ["*.beta.test"], by: root)
        let b2 = try certificateFacts(file: beta2.certificate)
        try install(beta2, at: liveBeta)
        server.signal(SIGHUP)
        let alphaReloaded = "capacityd: SIGHUP: TLS reloaded: CN=alpha (SHA-256 \(a.sha256))"
        let betaReloaded = "capacityd: SIGHUP: TLS reloaded: CN=beta-2 (SHA-256 \(b2.sha256))"
        #expect(waitFor(timeout: 60) { server.stderr.contains(alphaReloaded) && server.stderr.contains(betaReloaded) },
                "\(server.stderr)")
        #expect(try servedCertificate(port: port, serverName: "x.beta.test")?.sha256 == b2.sha256)
        #expect(try servedCertificate(port: port, serverName: "alpha.test")?.sha256 == a.sha256)

        // A's key file broken: A's reload fails and names the file, A keeps being served, B still reloads.
        try "not a key\n".write(toFile: liveAlpha.key, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        let failed = "capacityd: SIGHUP: TLS reload failed, the previous certificates stay in use: "
        #expect(waitFor(timeout: 60) {
            let log = server.stderr
            return log.lines(containing: failed).contains { $0.contains(liveAlpha.key) }
                && log.lines(containing: betaReloaded).count == 2
        }, "\(server.stderr)")
        #expect(server.stderr.lines(containing: alphaReloaded).count == 1)
        #expect(try servedCertificate(port: port, serverName: "alpha.test")?.sha256 == a.sha256)
        #expect(try servedCertificate(port: port, serverName: nil)?.sha256 == a.sha256)
        #expect(try servedCertificate(port: port, serverName: "x.beta.test")?.sha256 == b2.sha256)
        let response = try curl("https://alpha.test:\(port)/time",
                                ["--resolve", "alpha.test:\(port):127.0.0.1", "--cacert", root.certificate])
        #expect(response.status == 200)
        #expect(server.isRunning)
        #expect(server.stop() == 0)
    }

    /// Which pair serves a name must never depend on the order of the flags: the same exact name in two pairs is
    /// refused at start-up with one line naming the name and both files.
    /// Whichever certificate the server name picks, a client certificate is asked for with the trusted names
    /// (the certificate's own context holds none: the session keeps the list across the switch) and verified.
    @Test func clientCertificatesWorkBehindEveryName() throws {
        let pki = try TestPKI()
        let root = try pki.selfSigned("sni-root", isCA: true)
        let alpha = try pki.serverCertificate("alpha", dnsNames: ["alpha.test"], by: root)
        let beta = try pki.serverCertificate("beta", dnsNames: ["beta.test"], by: root)
        let client = try pki.selfSigned("api-gateway-client")
        let server = try ServerProcess(["--https", "127.0.0.1:0", "--client-cert", "optional", "--client-ca", client.certificate]
                                       + tlsPairArguments([alpha, beta]))
        defer { server.stop() }
        for name in ["alpha.test", "beta.test", "unknown.test"] {
            let (_, output) = try runProcess("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(server.tlsPort)",
                                                                  "-servername", name], input: "")
            #expect(output.contains("Acceptable client certificate CA names") && output.contains("CN = api-gateway-client"),
                    "\(name): \(output)")
            let signedIn = try curl("https://\(name):\(server.tlsPort)/v1/scalableTargetDimensions/sni",
                                    ["--resolve", "\(name):\(server.tlsPort):127.0.0.1", "-k",
                                     "--cert", client.certificate, "--key", client.key])
            #expect(signedIn.status == 200, "\(name): \(signedIn.body)")
            let anonymous = try curl("https://\(name):\(server.tlsPort)/v1/scalableTargetDimensions/sni",
                                     ["--resolve", "\(name):\(server.tlsPort):127.0.0.1", "-k"])
            #expect(anonymous.status == 403, "\(name)")
        }
    }

    @Test func theSameNameInTwoPairsStopsStartUp() throws {
        let pki = try TestPKI()
        let root = try pki.selfSigned("sni-root", isCA: true)
        let alpha = try pki.serverCertificate("alpha", dnsNames: ["alpha.test"], by: root)
        let other = try pki.serverCertificate("alpha-too", dnsNames: ["other.test", "alpha.test"], by: root)
        let (status, output) = try capacitydStartUp(["serve", "--http", "127.0.0.1:0", "--https", "127.0.0.1:0",
                                                     "--state-dir", ServerProcess.temporaryDirectory()]
                                                    + tlsPairArguments([alpha, other]))
        #expect(status > 0, "\(output)")
        #expect(output.lines(containing: "alpha.test").contains {
            $0.contains(alpha.certificate) && $0.contains(other.certificate)
        }, "\(output)")
        #expect(output.split(separator: "\n").count <= 3, "\(output)")
    }

    /// Copies a pair's files to where a server reads them (contents, so the paths stay the same).
    private func install(_ pair: TestPKI.Pair, at live: TestPKI.Pair) throws {
        try String(contentsOfFile: pair.certificate, encoding: .utf8).write(toFile: live.certificate, atomically: true, encoding: .utf8)
        try String(contentsOfFile: pair.key, encoding: .utf8).write(toFile: live.key, atomically: true, encoding: .utf8)
    }
}
