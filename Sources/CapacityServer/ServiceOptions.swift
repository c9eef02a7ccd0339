import ACME
import CapacityAPI
import HTTP1
import HTTPServer
import Scaling
import Stores
import SystemIO
import TLS

/// What `serve` and `check-config` are told, as plain values the way the command line and the environment say
/// them. Each default is defined once: the engine's limits and timeouts come from `ParserLimits` and
/// `ServerConfiguration`, so the executable's option declarations show them without restating them.
public struct ServiceOptions: Sendable {
    private static let engine = ServerConfiguration()

    public var http = ["127.0.0.1:8080"]
    public var noHTTP = false
    public var https: [String] = []
    public var metricsListen: String?
    /// `--tls-cert`/`--tls-key` pairs, in order: the first is served to clients that name no known server.
    public var tlsCertificates: [String] = []
    public var tlsKeys: [String] = []
    public var clientTrustFile: String?
    public var clientCertificateMode: TLSConfiguration.ClientCertificateMode = .off
    public var clientVerifyDepth = 1
    public var acmeWebroot: String?
    /// Names capacityd obtains one certificate for itself (RFC 8555, HTTP-01).
    public var acmeDomains: [String] = []
    public var acmeEmail: String?
    /// nil: Let's Encrypt (its staging directory with `acmeStaging`).
    public var acmeDirectory: String?
    public var acmeStaging = false
    public var acmeCARoot: String?
    public var redirectHTTP = false
    public var mode: ScalingMode = .demo
    /// The file store's directory (also the default home of the logs), or a database.
    public var store = StoreSelection()
    /// Run `db migrate` before serving (PostgreSQL only).
    public var migrate = false
    public var logDirectory: String?
    public var noAutoCreate = false
    public var defaults = DimensionDefaults()
    public var maxCapacity = DimensionUpdate.defaultMaxCapacity
    /// nil: one per CPU the process may use (`CPUBudget`).
    public var eventLoops: Int?
    /// What the default number of event loops is made from; nil reads it from the kernel when settings are made.
    public var cpuBudget: CPUBudget?
    public var maxConnections = engine.maxConnections
    public var maxRequestLineBytes = engine.parserLimits.maxRequestLineBytes
    public var maxHeaderBytes = engine.parserLimits.maxHeaderBytes
    public var maxHeaderCount = engine.parserLimits.maxHeaderCount
    public var maxBodyBytes = engine.parserLimits.maxBodyBytes
    /// Seconds, as the options take them.
    public var headerTimeout = seconds(engine.headerTimeoutMilliseconds)
    public var bodyTimeout = seconds(engine.bodyTimeoutMilliseconds)
    public var idleTimeout = seconds(engine.idleTimeoutMilliseconds)
    public var writeTimeout = seconds(engine.writeTimeoutMilliseconds)
    public var shutdownGrace = seconds(engine.shutdownGraceMilliseconds)
    public var apiKeysFile: String?
    /// `N/s` (or `N`): requests per second per client; nil limits nothing.
    public var rateLimit: String?
    /// Requests a client may make at once; nil: the rate's N.
    public var rateBurst: Double?
    public var rateLimitClients = 100_000
    public var gzipMinimumBytes = engine.gzipMinimumBytes
    public var logLevel: LogLevel = .info
    public var noAccessLog = false

    public init() {}

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// The cross-option rules; the first broken one, in the words the command line would use.
    public func validate() throws(Invalid) {
        for (option, addresses) in [("--http", http), ("--https", https), ("--metrics-listen", metricsListen.map { [$0] } ?? [])] {
            for address in addresses {
                do {
                    _ = try SocketAddress(parsing: address)
                } catch {
                    throw Invalid(description: "\(option) \(error.description)")
                }
            }
        }
        func check(_ rule: Bool, _ message: String) throws(Invalid) {
            if !rule { throw Invalid(description: message) }
        }
        try check(!plainAddresses.isEmpty || !https.isEmpty, "nothing to listen on: give --http or --https")
        try check(tlsCertificates.count == tlsKeys.count,
                  "--tls-cert and --tls-key come in pairs: \(tlsCertificates.count) certificates, \(tlsKeys.count) keys")
        try check(https.isEmpty || !tlsCertificates.isEmpty || !acmeDomains.isEmpty,
                  "--https needs --tls-cert and --tls-key, or --acme-domain")
        for name in acmeDomains {
            if let problem = ACMEManager.Settings.problem(withName: name) { throw Invalid(description: problem) }
        }
        try check(acmeDomains.isEmpty || (!https.isEmpty && !plainAddresses.isEmpty),
                  "--acme-domain needs --https, and an --http listener where the CA fetches the HTTP-01 challenge (port 80)")
        try check(!acmeDomains.isEmpty || (acmeEmail == nil && acmeDirectory == nil && !acmeStaging && acmeCARoot == nil),
                  "--acme-email, --acme-directory, --acme-staging and --acme-ca-root are used only with --acme-domain")
        try check(acmeDirectory == nil || !acmeStaging, "--acme-staging and --acme-directory exclude each other")
        if let directory = acmeDirectory {
            try check(directory.hasPrefix("https://"), "--acme-directory must be an https URL")
        }
        try check(!https.isEmpty || tlsCertificates.isEmpty, "--tls-cert and --tls-key are used only with --https")
        try check(clientCertificateMode == .off || (!https.isEmpty && clientTrustFile != nil),
                  "--client-cert \(clientCertificateMode.rawValue) needs --https and --client-ca")
        try check(clientCertificateMode != .off || clientTrustFile == nil,
                  "--client-ca is used only with --client-cert optional or required")
        try check(!redirectHTTP || (!https.isEmpty && !plainAddresses.isEmpty),
                  "--redirect-http needs both --http and --https addresses")
        try check((0...16).contains(clientVerifyDepth), "--client-verify-depth must be 0 to 16")
        for (name, value) in [("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout),
                              ("--idle-timeout", idleTimeout), ("--write-timeout", writeTimeout),
                              ("--shutdown-grace", shutdownGrace)] {
            try check(value > 0 && value <= 86400, "\(name) must be between 0 and 86400 seconds")
        }
        for (name, value) in [("--max-connections", maxConnections), ("--max-request-line-bytes", maxRequestLineBytes),
                              ("--max-header-bytes", maxHeaderBytes), ("--max-header-count", maxHeaderCount),
                              ("--max-body-bytes", maxBodyBytes)] {
            try check(value >= 1, "\(name) must be at least 1")
        }
        try check(gzipMinimumBytes >= 0, "--gzip-min-bytes must be 0 or more")
        try check(eventLoops.map { (1...256).contains($0) } ?? true, "--event-loops must be 1 to 256")
        try check(maxCapacity.isFinite && maxCapacity >= 0, "--max-capacity must be a number >= 0")
        try check(defaults.capacity.isFinite && defaults.capacity >= 0 && defaults.capacity <= maxCapacity,
                  "--default-capacity must be from 0 to --max-capacity (\(DimensionUpdate.describe(maxCapacity)))")
        try check(!migrate || store.databaseURL != nil, "--migrate needs --database-url")
        if let rateLimit {
            try check(Self.perSecond(rateLimit) != nil, "--rate-limit must be requests per second, such as 50/s (more than 0)")
        }
        try check(rateBurst.map { $0.isFinite && $0 >= 1 } ?? true, "--rate-burst must be 1 or more")
        try check(rateBurst == nil || rateLimit != nil, "--rate-burst is used only with --rate-limit")
        try check(rateLimitClients >= 1, "--rate-limit-clients must be 1 or more")
        do {
            try store.validate()
        } catch {
            throw Invalid(description: error.description)
        }
    }

    private var plainAddresses: [String] { noHTTP ? [] : http }

    /// The settings these options make; call after `validate()`.
    public var settings: ServiceSettings {
        let budget = cpuBudget ?? CPUBudget.current()
        let server = ServerConfiguration(
            eventLoops: eventLoops ?? min(budget.cpus, 256),
            parserLimits: ParserLimits(maxRequestLineBytes: maxRequestLineBytes, maxHeaderBytes: maxHeaderBytes,
                                       maxHeaderCount: maxHeaderCount, maxBodyBytes: maxBodyBytes),
            maxConnections: maxConnections,
            headerTimeoutMilliseconds: Self.milliseconds(headerTimeout),
            bodyTimeoutMilliseconds: Self.milliseconds(bodyTimeout),
            idleTimeoutMilliseconds: Self.milliseconds(idleTimeout),
            writeTimeoutMilliseconds: Self.milliseconds(writeTimeout),
            shutdownGraceMilliseconds: Self.milliseconds(shutdownGrace),
            gzipMinimumBytes: gzipMinimumBytes)
        return ServiceSettings(
            httpAddresses: plainAddresses.map { try! SocketAddress(parsing: $0) },
            httpsAddresses: https.map { try! SocketAddress(parsing: $0) },
            metricsAddress: metricsListen.map { try! SocketAddress(parsing: $0) },
            server: server,
            mode: mode,
            stateDirectory: store.stateDirectory,
            store: store.location,
            migrate: migrate,
            logDirectory: logDirectory,
            autoCreate: !noAutoCreate,
            defaults: defaults,
            maxCapacity: maxCapacity,
            accessLog: !noAccessLog,
            tls: https.isEmpty ? nil : TLSConfiguration(
                certificates: zip(tlsCertificates, tlsKeys).map { TLSConfiguration.CertificateFiles(chainFile: $0, keyFile: $1) }
                    + (acme.map { [$0.certificateFiles] } ?? []),
                clientTrustFile: clientTrustFile, clientCertificateMode: clientCertificateMode,
                clientVerifyDepth: clientVerifyDepth),
            acmeWebroot: acmeWebroot,
            acme: acme,
            redirectHTTP: redirectHTTP,
            apiKeysFile: apiKeysFile,
            rateLimit: rateLimit.flatMap(Self.perSecond).map {
                RateLimiter.Settings(perSecond: $0, burst: rateBurst ?? max(1, $0), maxClients: rateLimitClients)
            },
            logLevel: logLevel,
            eventLoopsReason: eventLoops == nil ? budget.description : "--event-loops")
    }

    private var acme: ACMEManager.Settings? {
        guard !acmeDomains.isEmpty else { return nil }
        return ACMEManager.Settings(
            names: acmeDomains.map { $0.lowercased() }.reduce(into: []) { names, name in
                if !names.contains(name) { names.append(name) }
            }, email: acmeEmail,
            directoryURL: acmeDirectory ?? (acmeStaging ? ACMEManager.Settings.letsEncryptStaging : ACMEManager.Settings.letsEncrypt),
            caRoot: acmeCARoot, storage: store.stateDirectory + "/acme")
    }

    /// `50/s` or `50` → 50; nil for anything else or a rate that is not positive.
    static func perSecond(_ text: String) -> Double? {
        let number = text.hasSuffix("/s") ? String(text.dropLast(2)) : text
        guard let value = Double(number), value.isFinite, value > 0 else { return nil }
        return value
    }

    private static func milliseconds(_ seconds: Double) -> Int64 { Int64((seconds * 1000).rounded()) }
    private static func seconds(_ milliseconds: Int64) -> Double { Double(milliseconds) / 1000 }
}
