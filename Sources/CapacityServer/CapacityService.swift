import ACME
import CapacityAPI
import StoreContract
import Glibc
import HTTPServer
import Scaling
import StoreFactory
import SystemIO
import TLS
import WebhookDelivery

/// A running capacityd: its store, transition log, TLS contexts, API keys, listeners and ACME client, started
/// together by `start` and stopped together by `stop`, which closes each once. Nothing here touches signals, so
/// a test starts and stops one inside its own process; `run` (what `serve` does) adds them.
public final class CapacityService: Sendable {
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    private let store: DimensionStore
    private let transitions: TransitionLog
    private let tls: ReloadableTLSContext?
    private let apiKeys: APIKeys?
    private let acme: ACMEManager?
    private let server: HTTPServer
    /// With `--webhook-url`: delivers the store's events.
    private let dispatcher: WebhookDispatcher?
    private let expiry = CertificateExpiry()
    private let stopped = Locked(false)

    /// The addresses the listeners are bound to, a port 0 resolved, in the order of the listeners.
    public var boundAddresses: [HTTPServer.BoundAddress] { server.boundAddresses }

    /// Opens the store the settings name and starts serving on every listener.
    public static func start(_ settings: ServiceSettings) throws(StartError) -> CapacityService {
        try start(settings, store: settings.store.location)
    }

    /// Starts with the store at `location` instead of the settings' own: a test's memory store.
    package static func start(_ settings: ServiceSettings, store location: StoreLocation) throws(StartError) -> CapacityService {
        ServiceLog.configure(settings.logLevel)
        OpenSSLLibrary.keepLoadedUntilExit()
        raiseDescriptorLimit()
        // A write to a connection its client closed fails with EPIPE instead of ending the process.
        Glibc.signal(SIGPIPE, SIG_IGN)
        if settings.migrate { try migrate(location) }
        let store = try step { () throws(StoreLocation.OpenError) in try location.open(eventReceivers: settings.webhookURLs) }
        let service: CapacityService
        do {
            service = try CapacityService(settings, store: store, location: location)
        } catch {
            store.close()
            throw error
        }
        do {
            try service.acme?.start()
        } catch {
            service.close()
            throw StartError(description: "ACME storage \(settings.acme?.storage ?? ""): \(error)")
        }
        return service
    }

    /// Everything but the store, which the caller closes if this throws; once it returns, the listeners serve.
    private init(_ settings: ServiceSettings, store: DimensionStore, location: StoreLocation) throws(StartError) {
        // The state directory holds the logs by default, whichever store keeps the dimensions.
        for (what, directory) in [("state directory", settings.store.stateDirectory),
                                  ("log directory", settings.transitionLogDirectory)] {
            do {
                try FileSystem.makeDirectory(directory, mode: 0o750)
            } catch {
                throw StartError(description: "\(what) \(directory): \(FileSystem.describe(error, at: directory))")
            }
        }
        let tls = try settings.tls.map { configuration throws(StartError) in
            try Self.step { () throws(TLSError) in ReloadableTLSContext(try TLSContext(configuration, now: WallClock.now().seconds)) }
        }
        let apiKeys = try settings.apiKeysFile.map { path throws(StartError) in
            try Self.step { () throws(APIKeys.LoadError) in try APIKeys(path: path) }
        }
        let transitions = TransitionLog(directory: settings.transitionLogDirectory)
        let acme = settings.acme.flatMap { acme in
            tls.map { ACMEManager(acme, tls: $0) { line, isWarning in ServiceLog.write(isWarning ? .warning : .info, line) } }
        }
        var dispatcher: WebhookDispatcher?
        if let configuration = try settings.webhooks() {
            guard let outbox = store.outbox else { throw StartError(description: "the store keeps no outbox of events for webhooks") }
            // One line per attempt beside the requests', written whole (a line is far below PIPE_BUF).
            var log: (@Sendable ([UInt8]) -> Void)?
            if settings.accessLog { log = { @Sendable line in _ = try? FileSystem.writeAll(line, to: 1) } }
            dispatcher = WebhookDispatcher(configuration, outbox: outbox, log: log)
        }
        let engine = settings.engine
        let (server, redirect) = Self.server(settings, engine: engine.configuration, store: store, transitions: transitions,
                                             tls: tls, apiKeys: apiKeys, acme: acme, dispatcher: dispatcher)
        try Self.step { () throws(HTTPServer.StartError) in try server.start() }
        do {
            try dispatcher?.start()
        } catch {
            server.shutdown()
            server.wait()
            throw StartError(description: "could not start the webhook threads: \(error)")
        }
        if let https = server.boundAddresses.first(where: \.isTLS) { redirect?.setHTTPSPort(Int(https.address.port)) }
        self.store = store
        self.transitions = transitions
        self.tls = tls
        self.apiKeys = apiKeys
        self.acme = acme
        self.server = server
        self.dispatcher = dispatcher
        checkCertificateExpiry()
        // The API's addresses as URLs, others named (`metrics=http://…`), so a script finds the API's port first.
        let addresses = server.boundAddresses.map { $0.name == Self.apiListener ? $0.description : $0.name + "=" + $0.description }
            .joined(separator: " ")
        let loops = engine.configuration.eventLoops
        ServiceLog.always("capacityd: listening on \(addresses) (mode \(settings.mode.rawValue), state \(location), "
                          + "logs \(settings.transitionLogDirectory), "
                          + "\(loops) event loop\(loops == 1 ? "" : "s") (\(engine.eventLoopsReason)))")
    }

    /// The engine with its listeners, their route tables and what they are given, not started; and the HTTPS
    /// redirect, which learns the HTTPS port once the listeners are bound.
    private static func server(_ settings: ServiceSettings, engine: ServerConfiguration, store: DimensionStore,
                               transitions: TransitionLog, tls: ReloadableTLSContext?, apiKeys: APIKeys?,
                               acme: ACMEManager?, dispatcher: WebhookDispatcher?) -> (HTTPServer, HTTPSRedirect?) {
        let rateLimiter = settings.rateLimiter.map { RateLimiter($0) }
        // Woken by every change the store makes durable (and, on PostgreSQL, by the other instances' changes): the
        // waiting long-polls, and the deliveries of the change's events. The dispatcher holds the store (its
        // outbox): held weakly here, or the two would keep each other alive.
        let waiters = settings.maxWaiting > 0 ? DimensionWaiters(limit: settings.maxWaiting) : nil
        store.observeChanges { [weak dispatcher] change in
            waiters?.storeChanged(change)
            dispatcher?.wake()
        }
        let metrics = ServiceMetrics(store: store, tls: tls, rateLimiter: rateLimiter, acme: acme, waiters: waiters,
                                     dispatcher: dispatcher)
        let redirect = settings.redirectHTTP ? HTTPSRedirect() : nil
        var acmeChallenges: (@Sendable (Substring) -> [UInt8]?)?
        if let acme { acmeChallenges = { token in acme.challengeResponse(token: token) } }
        let dependencies = APIRoutes.Dependencies(
            store: store, transitions: transitions, apiKeys: apiKeys,
            readiness: { ServiceReadiness.current(store: store, tls: tls, acme: acme, now: WallClock.now().seconds) },
            metrics: settings.metricsAddress == nil ? metrics : nil, redirect: redirect, rateLimiter: rateLimiter,
            acmeChallenges: acmeChallenges, waiters: waiters, eventsDue: { dispatcher?.wake() })
        let accessLog = settings.accessLog ? JSONAccessLog(minimumStatus: settings.logLevel.minimumLoggedStatus) : nil
        let server = HTTPServer(configuration: engine,
                                listeners: listeners(settings, tls: tls, metrics: metrics, dependencies: dependencies),
                                accessLog: accessLog, observer: metrics, afterEachTurn: { transitions.flush() })
        metrics.attach(server)
        return (server, redirect)
    }

    /// A start-up step whose failure is the one line `serve` prints.
    private static func step<Value, Failure: Error & CustomStringConvertible>(
        _ body: () throws(Failure) -> Value
    ) throws(StartError) -> Value {
        do {
            return try body()
        } catch {
            throw StartError(description: error.description)
        }
    }

    /// Drains the connections (for at most the shutdown grace), stops the ACME client, closes the store and writes
    /// the last transition lines; then logs the store's counters. Later calls do nothing.
    public func stop() {
        guard close() else { return }
        let counters = store.health.figures.map(ServiceMetrics.family).compactMap { family -> String? in
            guard case .counter(let value) = family.sample else { return nil }
            let name = family.name.replacing("capacityd_store_", with: "").replacing("_total", with: "")
            return "\(name.replacing("_", with: " ")) \(value)"
        }
        ServiceLog.write(.info, "capacityd: stopped; the store's counters: " + counters.joined(separator: ", "))
    }

    /// The one place each part is closed; false when it already was.
    @discardableResult
    private func close() -> Bool {
        guard stopped.withLock({ stopped in
            defer { stopped = true }
            return !stopped
        }) else { return false }
        server.shutdown()
        acme?.stop()
        server.wait()
        dispatcher?.stop()
        store.close()
        // Lines of writes the store finished while closing, after the loops' last turn.
        transitions.flush()
        return true
    }

    /// What SIGHUP does: reopens the transition log (logrotate), reloads the TLS certificates (certbot renew, a
    /// rotated client certificate) and the API keys; a file that fails to load leaves the previous in use.
    public func reload() {
        transitions.reopen()
        ServiceLog.write(.info, "capacityd: SIGHUP: transition log reopened")
        if let tls {
            let results = tls.reload(now: WallClock.now().seconds)
            let trusted = tls.current.certificates.count { $0.role == "trusted client certificate" }
            for result in results {
                switch result {
                case .success(let server):
                    ServiceLog.write(.info, "capacityd: SIGHUP: TLS reloaded: \(server.subject) (SHA-256 \(server.fingerprint)), "
                                     + "\(trusted) trusted client certificates")
                case .failure(let error):
                    ServiceLog.write(.warning, "capacityd: SIGHUP: TLS reload failed, the previous certificates stay in use: \(error)")
                }
            }
            checkCertificateExpiry()
        }
        if let apiKeys {
            if let error = apiKeys.reload() {
                ServiceLog.write(.warning, "capacityd: SIGHUP: API keys not reloaded, the previous keys stay in use: \(error)")
            } else {
                ServiceLog.write(.info, "capacityd: SIGHUP: API keys reloaded from \(apiKeys.path)")
            }
        }
    }

    /// Warns about certificates nearing their end (each threshold once).
    func checkCertificateExpiry() {
        guard let tls else { return }
        for line in expiry.warnings(for: tls.current.certificates, now: WallClock.now().seconds) { ServiceLog.write(.warning, line) }
    }

    /// The shutdown grace, for the line that announces a stop.
    var shutdownGraceMilliseconds: Int64 { server.configuration.shutdownGraceMilliseconds }

    /// `--migrate`: the database's schema brought to this capacityd's version before the store opens.
    private static func migrate(_ location: StoreLocation) throws(StartError) {
        do {
            let (from, to) = try location.migrate()
            ServiceLog.write(.info, from == to ? "capacityd: database schema at version \(to)"
                                               : "capacityd: database schema migrated from version \(from) to \(to)")
        } catch {
            throw StartError(description: error.description)
        }
    }

    /// Listener names: in the start-up line and, for the metrics, which route table served a request.
    private static let apiListener = "api"
    private static let metricsListener = "metrics"

    /// The API on every `--http` and `--https` address (one table: the redirect policy tells them apart by TLS),
    /// and `/metrics` with the health routes on `--metrics-listen`. Every table is labelled for the metrics.
    private static func listeners(_ settings: ServiceSettings, tls: ReloadableTLSContext?, metrics: ServiceMetrics,
                                  dependencies: APIRoutes.Dependencies) -> [ListenerConfiguration] {
        let api = APIRoutes.api(settings.api, dependencies)
        let responder = CapacityResponder(api)
        var listeners = settings.httpAddresses.map { ListenerConfiguration(name: apiListener, address: $0, responder: responder) }
            + settings.httpsAddresses.map {
                ListenerConfiguration(name: apiListener, address: $0, tls: tls, responder: responder)
            }
        var tables = [(listener: apiListener, table: api)]
        if let address = settings.metricsAddress {
            let table = APIRoutes.metrics(store: dependencies.store, exposition: metrics,
                                          readiness: dependencies.readiness)
            listeners.append(ListenerConfiguration(name: metricsListener, address: address, responder: CapacityResponder(table)))
            tables.append((listener: metricsListener, table: table))
        }
        metrics.label(tables)
        return listeners
    }

    /// Each connection is a descriptor; the default soft limit (1024) would cap the server far below
    /// `maxConnections`, so the soft limit is raised to the hard one.
    private static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(RLIMIT_NOFILE_VALUE, &limit)
    }

    private static var RLIMIT_NOFILE_VALUE: __rlimit_resource_t { __rlimit_resource_t(UInt32(RLIMIT_NOFILE.rawValue)) }
}
