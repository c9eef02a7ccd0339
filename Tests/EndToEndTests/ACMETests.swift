import Foundation
import Testing

@Suite("Let's Encrypt flow with pebble and certbot")
struct ACMETests {
    /// certbot obtains a certificate from pebble (Let's Encrypt's test CA) through capacityd's webroot while
    /// capacityd runs; capacityd reloads it on SIGHUP; curl trusting pebble's root sees it.
    @Test func certbotObtainsACertificateThroughTheWebroot() throws {
        let pki = try TestPKI()
        let work = pki.directory
        let webroot = work + "/webroot"
        try FileManager.default.createDirectory(atPath: webroot, withIntermediateDirectories: true)
        // Until certbot has run, capacityd serves a throwaway certificate from these paths.
        let (_, initialChain, initialKey) = try pki.serverChain(name: "initial")
        let liveChain = work + "/live-fullchain.pem"
        let liveKey = work + "/live-privkey.pem"
        try FileManager.default.copyItem(atPath: initialChain, toPath: liveChain)
        try FileManager.default.copyItem(atPath: initialKey, toPath: liveKey)
        let server = try ServerProcess(["--https", "127.0.0.1:0", "--tls-cert", liveChain, "--tls-key", liveKey,
                                        "--acme-webroot", webroot])
        defer { server.stop() }

        // No random sleeps before validation, real validation, and no deliberately rejected nonces (flaky).
        let pebble = try Pebble(httpPort: server.port, environment: [
            "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_VA_ALWAYS_VALID": "0", "PEBBLE_WFE_NONCEREJECT": "0",
        ], directory: work)
        defer { pebble.stop() }
        let directoryURL = pebble.directoryURL

        let certbot = work + "/certbot"
        let (status, output) = try runProcess("/usr/bin/certbot", [
            "certonly", "--non-interactive", "--server", directoryURL, "--agree-tos",
            "--register-unsafely-without-email", "--webroot", "-w", webroot, "-d", "localhost",
            "--config-dir", certbot + "/config", "--work-dir", certbot + "/work", "--logs-dir", certbot + "/logs",
        ], environment: ["REQUESTS_CA_BUNDLE": pebble.listenerRoot])
        #expect(status == 0, "\(output)")
        try #require(status == 0)
        // The challenge was answered by capacityd (certbot removes the file afterwards).
        #expect(server.stdout.contains("/.well-known/acme-challenge/"))
        #expect(server.stdout.contains("\"status\": 200"))

        // What a certbot deploy hook does: put the files in place and signal. (certbot's live/ files are
        // relative symlinks into archive/, so the contents are copied, not the links.)
        let issued = certbot + "/config/live/localhost"
        try String(contentsOfFile: issued + "/fullchain.pem", encoding: .utf8).write(toFile: liveChain, atomically: true, encoding: .utf8)
        try String(contentsOfFile: issued + "/privkey.pem", encoding: .utf8).write(toFile: liveKey, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        let reloadDeadline = Date().addingTimeInterval(10)
        while !server.stderr.contains("TLS reloaded") && Date() < reloadDeadline { usleep(10_000) }
        #expect(server.stderr.contains("TLS reloaded"))

        // Pebble makes a new root on every start: fetch it, then trust only it.
        try pebble.fetchRoot(to: work + "/pebble-root.pem")
        let response = try curl("https://localhost:\(server.tlsPort)/time",
                                ["--cacert", work + "/pebble-root.pem", "--resolve", "localhost:\(server.tlsPort):127.0.0.1"])
        #expect(response.status == 200)
        #expect(response.body.hasPrefix("{\"The current epoch time\""))
        // What the other ACME tests count in pebble's log: one order, and the certificate served is the one issued.
        #expect(pebble.ordersCreated == 1, "\(pebble.log)")
        let served = try servedCertificate(port: server.tlsPort, serverName: "localhost")
        #expect(served != nil && pebble.issuedSerials == [served!.serial], "\(String(describing: served)) \(pebble.log)")
    }
}
