import ACME
import CapacityAPI
import Configuration
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

    /// The options, for the messages of `validate()`; a store's are `store`'s.
    public enum Field: Sendable {
        case http, https, metricsListen, tlsCertificates, tlsKeys, clientTrustFile, clientCertificateMode, clientVerifyDepth
        case acmeDomains, acmeEmail, acmeDirectory, acmeStaging, acmeCARoot, redirectHTTP
        case headerTimeout, bodyTimeout, idleTimeout, writeTimeout, shutdownGrace
        case maxConnections, maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, maxBodyBytes, gzipMinimumBytes
        case eventLoops, maxCapacity, defaultCapacity, migrate, rateLimit, rateBurst, rateLimitClients
        case store(StoreSelection.Field)
    }

    /// The cross-option rules; the first broken one.
    public func validate() throws(InvalidSetting<Field>) {
        // The store's rules first, as every command that takes the store's options checks them.
        do {
            try store.validate()
        } catch {
            throw error.map(Field.store)
        }
        for (field, addresses) in [(Field.http, http), (.https, https), (.metricsListen, metricsListen.map { [$0] } ?? [])] {
            for address in addresses {
                do {
                    _ = try SocketAddress(parsing: address)
                } catch {
                    throw "\(field) \(error.description)"
                }
            }
        }
        func check(_ rule: Bool, _ problem: InvalidSetting<Field>) throws(InvalidSetting<Field>) {
            if !rule { throw problem }
        }
        try check(!plainAddresses.isEmpty || !https.isEmpty, "nothing to listen on: give \(.http) or \(.https)")
        try check(tlsCertificates.count == tlsKeys.count,
                  "\(.tlsCertificates) and \(.tlsKeys) come in pairs: \(tlsCertificates.count) certificates, \(tlsKeys.count) keys")
        try check(https.isEmpty || !tlsCertificates.isEmpty || !acmeDomains.isEmpty,
                  "\(.https) needs \(.tlsCertificates) and \(.tlsKeys), or \(.acmeDomains)")
        for name in acmeDomains {
            if let problem = ACMEManager.Settings.problem(withName: name) { throw "\(.acmeDomains) \(problem)" }
        }
        try check(acmeDomains.isEmpty || (!https.isEmpty && !plainAddresses.isEmpty),
                  "\(.acmeDomains) needs \(.https), and an \(.http) listener where the CA fetches the HTTP-01 challenge (port 80)")
        try check(!acmeDomains.isEmpty || (acmeEmail == nil && acmeDirectory == nil && !acmeStaging && acmeCARoot == nil),
                  "\(.acmeEmail), \(.acmeDirectory), \(.acmeStaging) and \(.acmeCARoot) are used only with \(.acmeDomains)")
        try check(acmeDirectory == nil || !acmeStaging, "\(.acmeStaging) and \(.acmeDirectory) exclude each other")
        if let directory = acmeDirectory {
            try check(directory.hasPrefix("https://"), "\(.acmeDirectory) must be an https URL")
        }
        try check(!https.isEmpty || tlsCertificates.isEmpty, "\(.tlsCertificates) and \(.tlsKeys) are used only with \(.https)")
        try check(clientCertificateMode == .off || (!https.isEmpty && clientTrustFile != nil),
                  "\(.clientCertificateMode) \(clientCertificateMode.rawValue) needs \(.https) and \(.clientTrustFile)")
        try check(clientCertificateMode != .off || clientTrustFile == nil,
                  "\(.clientTrustFile) is used only with \(.clientCertificateMode) optional or required")
        try check(!redirectHTTP || (!https.isEmpty && !plainAddresses.isEmpty),
                  "\(.redirectHTTP) needs both \(.http) and \(.https) addresses")
        try check((0...16).contains(clientVerifyDepth), "\(.clientVerifyDepth) must be 0 to 16")
        for (field, value) in [(Field.headerTimeout, headerTimeout), (.bodyTimeout, bodyTimeout), (.idleTimeout, idleTimeout),
                               (.writeTimeout, writeTimeout), (.shutdownGrace, shutdownGrace)] {
            try check(value > 0 && value <= 86400, "\(field) must be between 0 and 86400 seconds")
        }
        for (field, value) in [(Field.maxConnections, maxConnections), (.maxRequestLineBytes, maxRequestLineBytes),
                               (.maxHeaderBytes, maxHeaderBytes), (.maxHeaderCount, maxHeaderCount), (.maxBodyBytes, maxBodyBytes)] {
            try check(value >= 1, "\(field) must be at least 1")
        }
        try check(gzipMinimumBytes >= 0, "\(.gzipMinimumBytes) must be 0 or more")
        try check(eventLoops.map { (1...256).contains($0) } ?? true, "\(.eventLoops) must be 1 to 256")
        try check(maxCapacity.isFinite && maxCapacity >= 0, "\(.maxCapacity) must be a number >= 0")
        try check(defaults.capacity.isFinite && defaults.capacity >= 0 && defaults.capacity <= maxCapacity,
                  "\(.defaultCapacity) must be from 0 to \(.maxCapacity) (\(DimensionUpdate.describe(maxCapacity)))")
        try check(!migrate || store.databaseURL != nil, "\(.migrate) needs \(.store(.databaseURL))")
        if let rateLimit {
            try check(Self.perSecond(rateLimit) != nil, "\(.rateLimit) must be requests per second, such as 50/s (more than 0)")
        }
        try check(rateBurst.map { $0.isFinite && $0 >= 1 } ?? true, "\(.rateBurst) must be 1 or more")
        try check(rateBurst == nil || rateLimit != nil, "\(.rateBurst) is used only with \(.rateLimit)")
        try check(rateLimitClients >= 1, "\(.rateLimitClients) must be 1 or more")
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
