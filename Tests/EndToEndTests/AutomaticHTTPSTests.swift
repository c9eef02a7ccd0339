import Foundation
import Testing

/// Pebble as capacityd's own ACME client meets it: real HTTP-01 validation (`ALWAYS_VALID=0`) without pebble's
/// random sleeps of up to 15 s before each, and `PEBBLE_WFE_NONCEREJECT` left unset, so 5 % of requests get a
/// `badNonce` error that a client must retry (the certbot test turns it off; this client must cope).
private let acmeEnvironment = ["PEBBLE_VA_NOSLEEP": "1", "PEBBLE_VA_ALWAYS_VALID": "0"]

/// capacityd's ACME lines on stderr for the one name these tests order. (`localhost` is the one name pebble's
/// validator can reach without a DNS server of its own: /etc/hosts resolves it to 127.0.0.1.)
private enum Line {
    static let ordering = "capacityd: acme: ordering a certificate for localhost from "
    static let installed = "capacityd: acme: certificate for localhost installed: serial "
    static let usingStored = "capacityd: acme: using the stored certificate for localhost: serial "
    static let failed = "capacityd: acme: order for localhost failed: "
}

/// `... certificate for localhost installed: serial HEX, valid until ISO8601, renewal from ISO8601`.
private struct Installed {
    let serial: String
    let validUntil: Date?
    let renewalFrom: Date?

    init?(_ line: Substring) {
        func field(after marker: String) -> String? {
            guard let range = line.range(of: marker) else { return nil }
            return String(line[range.upperBound...].prefix { $0 != "," && $0 != " " })
        }
        guard let serial = field(after: "serial ") else { return nil }
        self.serial = normalizedSerial(serial)
        validUntil = field(after: "valid until ").flatMap(parseISO8601)
        renewalFrom = field(after: "renewal from ").flatMap(parseISO8601)
    }

    /// Every "installed" (or "using the stored certificate") line of a log, in order.
    static func all(in log: String, _ prefix: String = Line.installed) -> [Installed] {
        log.lines(containing: prefix).compactMap { Installed($0) }
    }
}

/// ISO 8601 with or without fractional seconds.
private func parseISO8601(_ text: String) -> Date? {
    let plain = ISO8601DateFormatter()
    let fractional = ISO8601DateFormatter()
    fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return plain.date(from: text) ?? fractional.date(from: text)
}

/// A capacityd ordering its certificate from a pebble of its own.
private struct ACMEServer {
    let pebble: Pebble
    let server: ServerProcess
    /// Pebble's issuing root (new on every pebble start), once `fetchRoot()` has fetched it.
    let root: String

    /// - Parameters:
    ///   - validatorPort: where pebble's validator fetches challenges; nil for capacityd's plain-HTTP port (the
    ///     working set-up), another port for one where nothing answers.
    ///   - extra: more `capacityd serve` arguments (TLS pairs).
    init(certificateValidityPeriod: Int? = nil, validatorPort: UInt16? = nil, extra: [String] = []) throws {
        // Pebble needs capacityd's HTTP port in its configuration before capacityd starts: a free one, passed as
        // --http. Should another process take it in between, start both again on other ports.
        var attempt = 0
        while true {
            attempt += 1
            let httpPort = freePort()
            let pebble = try Pebble(httpPort: validatorPort ?? httpPort,
                                    certificateValidityPeriod: certificateValidityPeriod, environment: acmeEnvironment)
            let directory = ServerProcess.temporaryDirectory()
            // ServerProcess's defaults would add `--http 127.0.0.1:0`: the whole command line is given instead.
            let arguments = ["serve", "--http", "127.0.0.1:\(httpPort)", "--https", "127.0.0.1:0",
                             "--state-dir", directory + "/state", "--event-loops", "2",
                             "--acme-domain", "localhost", "--acme-email", "ops@example.com",
                             "--acme-directory", pebble.directoryURL, "--acme-ca-root", pebble.listenerRoot] + extra
            let server: ServerProcess
            do {
                server = try ServerProcess(arguments, directory: directory, defaultArguments: false)
            } catch let failure as ServerProcess.StartFailed where attempt < 3 && failure.stderr.lowercased().contains("in use") {
                continue
            }
            self.pebble = pebble
            self.server = server
            root = directory + "/pebble-root.pem"
            return
        }
    }

    var tlsPort: UInt16 { server.tlsPort }
    var acmeDirectory: String { server.stateDirectory + "/acme" }

    /// Waits for the `count`th "installed" line; false at the deadline (generous: an order is a dozen requests,
    /// some retried after badNonce, under a sanitizer).
    func waitForInstalled(count: Int = 1, timeout: TimeInterval = 120) -> Bool {
        waitFor(timeout: timeout) { server.stderr.lines(containing: Line.installed).count >= count || !server.isRunning }
            && server.isRunning
    }

    func fetchRoot() throws { try pebble.fetchRoot(to: root) }

    func httpsTime() throws -> CurlResponse { try timeOverHTTPS(port: tlsPort, root: root) }
}

@Suite("Automatic HTTPS: capacityd's own ACME client against pebble")
struct AutomaticHTTPSTests {
    /// An empty state directory: capacityd orders, answers the HTTP-01 challenge itself, installs the certificate
    /// and serves it without a restart; its account and certificate are kept private.
    @Test func firstIssuanceFromAnEmptyStateDirectory() throws {
        let acme = try ACMEServer()
        let server = acme.server
        // Before the certificate (only if the order is still under way: this must not depend on being fast): plain
        // HTTP serves, a handshake fails without taking the server down, readiness says why. Checked again after
        // the probes, so a certificate installed meanwhile does not count as a failure.
        if !server.stderr.contains(Line.installed) {
            let handshake = try curl("https://localhost:\(acme.tlsPort)/time", ["--resolve", "localhost:\(acme.tlsPort):127.0.0.1", "-k"])
            let ready = try curl(server.baseURL + "/readyz")
            if !server.stderr.contains(Line.installed) {
                #expect(handshake.status == 0, "a handshake without a certificate: \(handshake.status)")
                #expect(ready.status == 503)
                #expect(ready.message?.contains("no certificate yet for localhost") == true, "\(ready.body)")
            }
            #expect(try curl(server.baseURL + "/time").status == 200)
        }

        #expect(acme.waitForInstalled(), "\(server.stderr)")
        let orderingLines = server.stderr.lines(containing: Line.ordering)
        #expect(orderingLines.count == 1 && orderingLines[0].contains(acme.pebble.directoryURL), "\(server.stderr)")
        let installed = try #require(Installed.all(in: server.stderr).first, "\(server.stderr)")
        try acme.fetchRoot()
        let response = try acme.httpsTime()
        #expect(response.status == 200)
        #expect(response.body.hasPrefix("{\"The current epoch time\""))
        #expect(try curl(server.baseURL + "/readyz").status == 200)
        // The certificate served is the one pebble issued (one order) and the line announced.
        let served = try #require(try servedCertificate(port: acme.tlsPort, serverName: "localhost"))
        #expect(served.serial == installed.serial)
        #expect(acme.pebble.issuedSerials == [installed.serial], "\(acme.pebble.log)")
        #expect(acme.pebble.ordersCreated == 1)
        if let validUntil = installed.validUntil, let renewalFrom = installed.renewalFrom {
            #expect(renewalFrom < validUntil)
        } else {
            Issue.record("no ISO 8601 dates in the installed line: \(server.stderr)")
        }

        let samples = try parsePrometheus(try curl(server.baseURL + "/metrics").body)
        #expect(samples[#"capacityd_acme_orders_total{result="issued"}"#] == 1, "\(samples.keys.sorted())")
        #expect(samples.contains {
            $0.key.hasPrefix("capacityd_certificate_days_left{") && $0.key.contains(#"role="acme certificate""#)
                && $0.key.contains(#"sha256="\#(served.sha256)""#)
        }, "\(samples.keys.sorted())")

        // The account key and the certificate's key live here: only the server's user may read them.
        let manager = FileManager.default
        let directoryMode = try manager.attributesOfItem(atPath: acme.acmeDirectory)[.posixPermissions] as? Int
        #expect(directoryMode == 0o700, "\(acme.acmeDirectory): \(String(directoryMode ?? -1, radix: 8))")
        let entries = try manager.subpathsOfDirectory(atPath: acme.acmeDirectory)
        #expect(!entries.isEmpty)
        for entry in entries {
            let attributes = try manager.attributesOfItem(atPath: acme.acmeDirectory + "/" + entry)
            let mode = attributes[.posixPermissions] as? Int ?? -1
            let expected = attributes[.type] as? FileAttributeType == .typeDirectory ? 0o700 : 0o600
            #expect(mode == expected, "\(entry): \(String(mode, radix: 8))")
        }
        #expect(server.stop() == 0)
    }

    /// A restart finds its certificate in the state directory and serves it without asking the CA again.
    @Test func aRestartUsesTheStoredCertificate() throws {
        let acme = try ACMEServer()
        let server = acme.server
        #expect(acme.waitForInstalled(), "\(server.stderr)")
        let first = try #require(try servedCertificate(port: acme.tlsPort, serverName: "localhost"))
        let ordersBefore = acme.pebble.ordersCreated
        #expect(server.stop() == 0)

        // Same arguments, state directory, HTTP port and pebble (which still knows the account). start() begins a
        // new stderr file, so every line below is the second run's.
        try server.start()
        #expect(waitFor(timeout: 60) { server.stderr.contains(Line.usingStored) }, "\(server.stderr)")
        let stored = Installed.all(in: server.stderr, Line.usingStored).first
        #expect(stored?.serial == first.serial, "\(server.stderr)")
        let served = try servedCertificate(port: acme.tlsPort, serverName: "localhost")
        #expect(served?.sha256 == first.sha256)
        try acme.fetchRoot()
        #expect(try acme.httpsTime().status == 200)
        #expect(try curl(server.baseURL + "/readyz").status == 200)
        // Checked last, after the requests above gave a stray order time to show.
        #expect(server.stderr.lines(containing: Line.ordering).isEmpty, "\(server.stderr)")
        #expect(acme.pebble.ordersCreated == ordersBefore, "\(acme.pebble.log)")
        #expect(server.stop() == 0)
    }

    /// Certificates valid for 60 s: capacityd renews when a third of that is left (~40 s in) and installs the new
    /// one while clients keep connecting; not one handshake or request fails.
    @Test func renewalInstallsTheNewCertificateWithoutARestart() throws {
        let acme = try ACMEServer(certificateValidityPeriod: 60)
        let server = acme.server
        #expect(acme.waitForInstalled(), "\(server.stderr)")
        let first = try #require(Installed.all(in: server.stderr).first, "\(server.stderr)")
        try acme.fetchRoot()
        let firstServed = try #require(try servedCertificate(port: acme.tlsPort, serverName: "localhost"))
        #expect(firstServed.serial == first.serial)

        // One client, one new connection per request (a curl process each), until the renewal and a few requests
        // past it.
        let stop = Flag()
        let results = Tally()
        let failures = FailureLog()
        let finished = DispatchSemaphore(value: 0)
        let (port, root) = (acme.tlsPort, acme.root)
        Thread {
            while !stop.isSet {
                let status = (try? timeOverHTTPS(port: port, root: root).status) ?? -1
                results.add(status == 200)
                if status != 200 { failures.add("status \(status) at \(Date())") }
            }
            finished.signal()
        }.start()
        // Renewal is due ~40 s after issuance; the deadline leaves room for a slow order under a sanitizer.
        let renewed = acme.waitForInstalled(count: 2, timeout: 180)
        let atRenewal = results.total
        #expect(renewed, "\(server.stderr)")
        if renewed { waitFor(timeout: 60) { results.total >= atRenewal + 5 } }
        stop.set()
        finished.wait()

        #expect(results.failures == 0, "\(results.failures) of \(results.total) requests failed: \(failures.entries)")
        #expect(results.total > 10)
        let installed = Installed.all(in: server.stderr)
        // One renewal, not a renewal per check.
        #expect(installed.count == 2, "\(server.stderr)")
        let served = try servedCertificate(port: acme.tlsPort, serverName: "localhost")
        #expect(served != nil && served?.serial != first.serial)
        if installed.count >= 2 { #expect(served?.serial == installed[1].serial) }
        #expect(acme.pebble.issuedSerials.count == 2, "\(acme.pebble.log)")
        // The renewal came from the schedule the first line announced, not earlier.
        if let renewalFrom = first.renewalFrom, let validUntil = first.validUntil {
            #expect(renewalFrom < validUntil)
            #expect(validUntil.timeIntervalSince(renewalFrom) <= 30, "a third of 60 s, give or take jitter")
        }
        #expect(try curl(server.baseURL + "/readyz").status == 200)
        #expect(server.stop() == 0)
    }

    /// The CA cannot validate (nothing answers where its validator looks): the failure is reported on stderr, in
    /// /readyz and /metrics, the server keeps serving plain HTTP, and it does not hammer the CA.
    @Test func aFailedOrderIsReportedAndRetriedLater() throws {
        let acme = try ACMEServer(validatorPort: freePort())
        let server = acme.server
        #expect(waitFor(timeout: 120) { server.stderr.contains(Line.failed) }, "\(server.stderr)")
        let firstFailure = Date()
        let line = try #require(server.stderr.lines(containing: Line.failed).first)
        // `...failed: REASON; next attempt in N s`: the reason carries what pebble's validator met.
        #expect(line.contains("connection refused"), "\(line)")
        let delay = line.components(separatedBy: "; next attempt in ").last?.split(separator: " ").first.flatMap { Int($0) }
        #expect(delay.map { $0 >= 30 } == true, "backoff starts at 60 s (with jitter): \(line)")

        let ready = try curl(server.baseURL + "/readyz")
        #expect(ready.status == 503)
        #expect(ready.message?.contains("no certificate yet for localhost") == true, "\(ready.body)")
        #expect(ready.message?.contains("connection refused") == true, "\(ready.body)")
        let samples = try parsePrometheus(try curl(server.baseURL + "/metrics").body)
        #expect((samples[#"capacityd_acme_orders_total{result="failed"}"#] ?? 0) >= 1, "\(samples.keys.sorted())")
        #expect((samples[#"capacityd_acme_orders_total{result="issued"}"#] ?? 0) == 0)
        let lastError = samples.filter { $0.key.hasPrefix("capacityd_acme_last_error{") }
        #expect(lastError.count == 1 && lastError.first?.value == 1, "\(samples.keys.sorted())")
        #expect(lastError.first?.key.contains(#"message="""#) == false)

        // Still serving: plain HTTP answers, a handshake fails without harm.
        #expect(try curl(server.baseURL + "/time").status == 200)
        #expect(try curl("https://localhost:\(acme.tlsPort)/time", ["--resolve", "localhost:\(acme.tlsPort):127.0.0.1", "-k"]).status == 0)
        #expect(try curl(server.baseURL + "/time").status == 200)

        // An observation window, not a budget: 15 s after the first failure, still no more than two orders.
        Thread.sleep(until: firstFailure.addingTimeInterval(15))
        #expect(acme.pebble.ordersCreated <= 2, "\(acme.pebble.log)")
        #expect(server.stderr.lines(containing: Line.ordering).count <= 2, "\(server.stderr)")
        #expect(server.isRunning)
        #expect(server.stop() == 0)
    }

    /// The CA goes away after the first issuance: the renewal fails and is reported, and the certificate capacityd
    /// has keeps being served while it is valid (HTTPS and /readyz stay up).
    @Test func aFailedRenewalKeepsServingTheCertificateItHas() throws {
        let acme = try ACMEServer(certificateValidityPeriod: 90)
        let server = acme.server
        #expect(acme.waitForInstalled(), "\(server.stderr)")
        let first = try #require(Installed.all(in: server.stderr).first, "\(server.stderr)")
        try acme.fetchRoot()
        acme.pebble.stop()
        // Renewal is due a third before expiry, ~60 s in; with the CA gone it fails at once.
        #expect(waitFor(timeout: 180) { server.stderr.contains(Line.failed) }, "\(server.stderr)")
        let line = server.stderr.lines(containing: Line.failed).first ?? ""
        #expect(line.contains("cannot reach the CA"), "\(line)")
        let served = try servedCertificate(port: acme.tlsPort, serverName: "localhost")
        #expect(served?.serial == first.serial, "\(served.map(\.description) ?? "no certificate")")
        #expect(try acme.httpsTime().status == 200)
        #expect(try curl(server.baseURL + "/readyz").status == 200)
        let samples = try parsePrometheus(try curl(server.baseURL + "/metrics").body)
        #expect((samples[#"capacityd_acme_orders_total{result="failed"}"#] ?? 0) >= 1)
        #expect(server.stop() == 0)
    }

    /// A `--tls-cert` pair beside an ACME name: the pair serves its names from the start, the ACME certificate
    /// serves `localhost` once issued, and neither takes the other's place.
    @Test func aTLSPairAndAnACMENameServeSideBySide() throws {
        let pki = try TestPKI()
        let pairRoot = try pki.selfSigned("pair-root", isCA: true)
        let alpha = try pki.serverCertificate("alpha", dnsNames: ["alpha.test"], by: pairRoot)
        let alphaFacts = try certificateFacts(file: alpha.certificate)
        let acme = try ACMEServer(extra: tlsPairArguments([alpha]))
        let server = acme.server
        // Usually still before issuance (an order takes a dozen round trips); either way the pair is alpha.test's.
        #expect(try servedCertificate(port: acme.tlsPort, serverName: "alpha.test")?.sha256 == alphaFacts.sha256)

        #expect(acme.waitForInstalled(), "\(server.stderr)")
        let installed = try #require(Installed.all(in: server.stderr).first)
        try acme.fetchRoot()
        let localhost = try servedCertificate(port: acme.tlsPort, serverName: "localhost")
        #expect(localhost?.serial == installed.serial)
        #expect(localhost?.sha256 != alphaFacts.sha256)
        #expect(try acme.httpsTime().status == 200)
        #expect(try servedCertificate(port: acme.tlsPort, serverName: "alpha.test")?.sha256 == alphaFacts.sha256)
        let port = acme.tlsPort
        #expect(try curl("https://alpha.test:\(port)/time",
                         ["--resolve", "alpha.test:\(port):127.0.0.1", "--cacert", pairRoot.certificate]).status == 200)
        #expect(server.stop() == 0)
    }

    /// The same name from a pair and from ACME: which would serve it is ambiguous, so start-up refuses, naming
    /// the name and the pair's file.
    @Test func anACMENameThatAPairAlsoServesStopsStartUp() throws {
        let pki = try TestPKI()
        let root = try pki.selfSigned("pair-root", isCA: true)
        let alpha = try pki.serverCertificate("alpha", dnsNames: ["alpha.test"], by: root)
        // Refused before any order: the directory URL is never contacted (nothing listens on port 9).
        let (status, output) = try capacitydStartUp([
            "serve", "--http", "127.0.0.1:0", "--https", "127.0.0.1:0", "--state-dir", ServerProcess.temporaryDirectory(),
            "--acme-domain", "alpha.test", "--acme-directory", "https://127.0.0.1:9/dir", "--acme-ca-root", root.certificate,
        ] + tlsPairArguments([alpha]))
        #expect(status > 0, "\(output)")
        #expect(output.lines(containing: "alpha.test").contains { $0.contains(alpha.certificate) }, "\(output)")
        #expect(output.split(separator: "\n").count <= 3, "\(output)")
    }

    /// HTTP-01 is answered on the plain-HTTP listener: ACME without one cannot work and is refused at start-up.
    @Test func acmeWithoutPlainHTTPStopsStartUp() throws {
        let pki = try TestPKI()
        let root = try pki.selfSigned("ca-root", isCA: true)
        let (status, output) = try capacitydStartUp([
            "serve", "--no-http", "--https", "127.0.0.1:0", "--state-dir", ServerProcess.temporaryDirectory(),
            "--acme-domain", "localhost", "--acme-directory", "https://127.0.0.1:9/dir", "--acme-ca-root", root.certificate,
        ])
        #expect(status > 0, "\(output)")
        // Refused for the missing listener: the ACME options are known, and ACME stands in for --tls-cert.
        #expect(!output.contains("Unknown option") && !output.contains("--tls-cert"), "\(output)")
        #expect(output.lowercased().contains("http"), "\(output)")
        #expect(output.split(separator: "\n").count <= 3, "\(output)")
    }
}

/// GET /time over HTTPS as `localhost`, trusting only `root`: a new connection and full handshake each time.
private func timeOverHTTPS(port: UInt16, root: String) throws -> CurlResponse {
    try curl("https://localhost:\(port)/time", ["--resolve", "localhost:\(port):127.0.0.1", "--cacert", root])
}

/// What failed in a client loop, for the failure message.
private final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { if lines.count < 20 { lines.append(line) } } }
    var entries: [String] { lock.withLock { lines } }
}
