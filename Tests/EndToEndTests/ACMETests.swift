import Foundation
import Testing

/// A port nobody listens on right now (for peers whose configuration needs a number up front).
private func freePort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            _ = bind(fd, pointer, length)
            return getsockname(fd, pointer, &length)
        }
    }
    return UInt16(bigEndian: address.sin_port)
}

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

        // Debian's pebble ships no certificate for its own HTTPS API: it gets one from the test PKI.
        let (pebbleRoot, pebbleChain, pebbleKey) = try pki.serverChain(name: "pebble-listener")
        let apiPort = freePort()
        let managementPort = freePort()
        let config = """
            {"pebble": {"listenAddress": "127.0.0.1:\(apiPort)", "managementListenAddress": "127.0.0.1:\(managementPort)",
             "certificate": "\(pebbleChain)", "privateKey": "\(pebbleKey)", "httpPort": \(server.port),
             "tlsPort": \(freePort()), "ocspResponderURL": "", "externalAccountBindingRequired": false}}
            """
        try config.write(toFile: work + "/pebble.json", atomically: true, encoding: .utf8)
        let pebble = Process()
        pebble.executableURL = URL(fileURLWithPath: "/usr/bin/pebble")
        pebble.arguments = ["-config", work + "/pebble.json", "-strict=false"]
        // No random sleeps before validation, real validation, and no deliberately rejected nonces (flaky).
        pebble.environment = ["PEBBLE_VA_NOSLEEP": "1", "PEBBLE_VA_ALWAYS_VALID": "0", "PEBBLE_WFE_NONCEREJECT": "0"]
        pebble.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        pebble.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try spawning { try pebble.run() }
        defer {
            pebble.terminate()
            pebble.waitUntilExit()
        }
        let directoryURL = "https://127.0.0.1:\(apiPort)/dir"
        let deadline = Date().addingTimeInterval(20)
        while (try? curl(directoryURL, ["--cacert", pebbleRoot.certificate]).status) != 200 && Date() < deadline {
            usleep(100_000)
        }

        let certbot = work + "/certbot"
        let (status, output) = try runProcess("/usr/bin/certbot", [
            "certonly", "--non-interactive", "--server", directoryURL, "--agree-tos",
            "--register-unsafely-without-email", "--webroot", "-w", webroot, "-d", "localhost",
            "--config-dir", certbot + "/config", "--work-dir", certbot + "/work", "--logs-dir", certbot + "/logs",
        ], environment: ["REQUESTS_CA_BUNDLE": pebbleRoot.certificate])
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
        let root = try curl("https://127.0.0.1:\(managementPort)/roots/0", ["--cacert", pebbleRoot.certificate])
        #expect(root.status == 200)
        try root.body.write(toFile: work + "/pebble-root.pem", atomically: true, encoding: .utf8)
        let response = try curl("https://localhost:\(server.tlsPort)/time",
                                ["--cacert", work + "/pebble-root.pem", "--resolve", "localhost:\(server.tlsPort):127.0.0.1"])
        #expect(response.status == 200)
        #expect(response.body.hasPrefix("{\"The current epoch time\""))
    }
}
