import Foundation

/// Debian's pebble (Let's Encrypt's test CA, 2.4) on free loopback ports, for one test.
///
/// Pebble validates HTTP-01 challenges by really fetching `http://NAME:httpPort/.well-known/acme-challenge/TOKEN`
/// (with `PEBBLE_VA_ALWAYS_VALID=0`), so `httpPort` is the plain-HTTP port of the capacityd under test, chosen by
/// the caller up front. Its stdout and stderr go to `logPath`, where a test counts what it did:
///
///     Pebble 2026/12/05 02:48:53 Added order "EkDN5zg19CKuf5Ff5axfj4RtaM23G8OY1GuSPKsUPmg" to the db
///     Pebble 2026/12/05 02:48:54 Issued certificate serial 61bcbf3c52a9031f for order EkDN5zg19C...
///     Pebble 2026/12/05 02:49:06 order -5cTucpPPYf1... set INVALID by invalid authz Li0AJXbtpsUF...
///
/// One "Added order" line per new-order request pebble accepted: a request it refused with `badNonce` (5 % of them
/// unless `PEBBLE_WFE_NONCEREJECT=0`) is rejected before the handler and adds none, so retries do not inflate the
/// count. (`POST /order-plz -> calling handler()` is logged for refused requests too, so it is not counted.)
final class Pebble {
    /// The work directory: the configuration, the listener's PKI, the log.
    let directory: String
    private(set) var apiPort: UInt16 = 0
    private(set) var managementPort: UInt16 = 0
    /// The PEM file that trusts pebble's own HTTPS listeners (the API and the management port); not the root that
    /// signs what pebble issues: that one is new on every start, see `fetchRoot(to:)`.
    let listenerRoot: String
    private let listenerChain: String
    private let listenerKey: String
    /// The running pebble (a new Process on each attempt: one cannot be run twice).
    private var process: Process?

    var directoryURL: String { "https://127.0.0.1:\(apiPort)/dir" }
    var logPath: String { directory + "/pebble.log" }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The orders pebble created (see above).
    var ordersCreated: Int { log.lines(containing: "Added order \"").count }

    /// The serials pebble issued, in order, upper-case hex without leading zeros (as `normalizedSerial` gives).
    var issuedSerials: [String] {
        log.lines(containing: "Issued certificate serial ").compactMap { line in
            line.components(separatedBy: "Issued certificate serial ").last?
                .split(separator: " ").first.map { normalizedSerial(String($0)) }
        }
    }

    /// - Parameters:
    ///   - httpPort: where pebble's validator fetches HTTP-01 challenges.
    ///   - certificateValidityPeriod: seconds each issued certificate is valid (pebble's default is 5 years).
    ///   - environment: pebble's whole environment, e.g. `PEBBLE_VA_NOSLEEP=1` (no random sleep of up to 15 s before
    ///     a validation), `PEBBLE_VA_ALWAYS_VALID=0`, `PEBBLE_WFE_NONCEREJECT=0`.
    init(httpPort: UInt16, certificateValidityPeriod: Int? = nil, environment: [String: String],
         directory: String? = nil) throws {
        self.directory = directory ?? ServerProcess.temporaryDirectory()
        // Debian's pebble ships no certificate for its own HTTPS API: it gets one from a test PKI (localhost and
        // 127.0.0.1).
        let pki = try TestPKI()
        let (root, chain, key) = try pki.serverChain(name: "pebble-listener")
        listenerRoot = root.certificate
        listenerChain = chain
        listenerKey = key
        // The free ports are only free when chosen: if another test took one meanwhile, pebble exits at once
        // ("address already in use") and starts again on others.
        var attempt = 0
        while true {
            attempt += 1
            apiPort = freePort()
            managementPort = freePort()
            try writeConfiguration(httpPort: httpPort, certificateValidityPeriod: certificateValidityPeriod)
            if try start(environment: environment) { return }
            let log = self.log
            guard attempt < 3, log.contains("address already in use") else {
                stop()
                throw Failure(description: "pebble did not start: \(log)")
            }
        }
    }

    private func writeConfiguration(httpPort: UInt16, certificateValidityPeriod: Int?) throws {
        var settings = """
            "listenAddress": "127.0.0.1:\(apiPort)", "managementListenAddress": "127.0.0.1:\(managementPort)",
             "certificate": "\(listenerChain)", "privateKey": "\(listenerKey)", "httpPort": \(httpPort),
             "tlsPort": \(freePort()), "ocspResponderURL": "", "externalAccountBindingRequired": false
            """
        if let certificateValidityPeriod { settings += #", "certificateValidityPeriod": \#(certificateValidityPeriod)"# }
        try "{\"pebble\": {\(settings)}}\n".write(toFile: directory + "/pebble.json", atomically: true, encoding: .utf8)
    }

    /// Starts the process and waits until `/dir` answers; false if it exited first.
    private func start(environment: [String: String]) throws -> Bool {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        // One handle for both: the two streams share its offset and interleave in one file.
        let log = FileHandle(forWritingAtPath: logPath)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pebble")
        process.arguments = ["-config", directory + "/pebble.json", "-strict=false"]
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        try spawning { try process.run() }
        self.process = process
        let answered = waitFor(timeout: 60, interval: 0.1) {
            !process.isRunning || (try? curl(directoryURL, ["--cacert", listenerRoot]).status) == 200
        }
        if answered && process.isRunning { return true }
        stop()
        if !answered { throw Failure(description: "pebble's /dir did not answer within 60 s: \(self.log)") }
        return false
    }

    /// Downloads the root that signs what this pebble issues (new on every start) to `path`.
    func fetchRoot(to path: String) throws {
        let root = try curl("https://127.0.0.1:\(managementPort)/roots/0", ["--cacert", listenerRoot])
        guard root.status == 200, root.body.contains("-----BEGIN CERTIFICATE-----") else {
            throw Failure(description: "pebble's /roots/0 answered \(root.status): \(root.body)")
        }
        try root.body.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func stop() {
        guard let process else { return }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }
}

/// A certificate serial as upper-case hex without leading zeros, so pebble's log (`61bcbf3c52a9031f`), openssl's
/// `-serial` (`61BCBF3C52A9031F`, zero-padded to whole bytes) and capacityd's lines compare equal.
func normalizedSerial(_ serial: String) -> String {
    var hex = serial.uppercased()
    if hex.hasPrefix("0X") { hex.removeFirst(2) }
    hex = hex.replacingOccurrences(of: ":", with: "")
    let trimmed = hex.drop { $0 == "0" }
    return trimmed.isEmpty ? "0" : String(trimmed)
}
