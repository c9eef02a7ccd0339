import ACME
import CapacityAPI
import DimensionStorage
import Glibc
import HTTPServer
import Scaling
import Stores
import SystemIO
import TLS

/// Starts capacityd: store, logs, TLS, HTTP server; then waits for signals. SIGTERM and SIGINT (what ECS and a
/// terminal send) shut down gracefully; SIGHUP reopens the transition log (logrotate) and reloads the TLS
/// certificates (certbot renew, a rotated client certificate).
public enum CapacityService {
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs until SIGTERM or SIGINT; returns the process exit code.
    public static func run(_ settings: ServiceSettings) throws(StartError) -> Int32 {
        ServiceLog.configure(settings.logLevel)
        OpenSSLLibrary.keepLoadedUntilExit()
        raiseDescriptorLimit()
        // Signals are handled by sigwait on this thread; blocking them first means every thread started from
        // here on inherits the mask and no handler ever runs on an event loop.
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&signals, signal) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        Glibc.signal(SIGPIPE, SIG_IGN)

        if settings.migrate {
            do {
                let (from, to) = try settings.store.location.migrate()
                ServiceLog.write(.info, from == to ? "capacityd: database schema at version \(to)"
                                                   : "capacityd: database schema migrated from version \(from) to \(to)")
            } catch {
                throw StartError(description: error.description)
            }
        }
        let store: DimensionStore
        do {
            store = try settings.store.location.open()
        } catch {
            throw StartError(description: error.description)
        }
        // The state directory holds the logs by default, whichever store keeps the dimensions.
        for (what, directory) in [("state directory", settings.store.stateDirectory), ("log directory", settings.transitionLogDirectory)] {
            do {
                try FileSystem.makeDirectory(directory, mode: 0o750)
            } catch {
                store.close()
                throw StartError(description: "\(what) \(directory): \(FileSystem.describe(error, at: directory))")
            }
        }
        var tls: ReloadableTLSContext?
        if let configuration = settings.tls {
            do {
                tls = ReloadableTLSContext(try TLSContext(configuration, now: WallClock.now().seconds))
            } catch {
                store.close()
                throw StartError(description: error.description)
            }
        }
        var apiKeys: APIKeys?
        if let path = settings.apiKeysFile {
            do {
                apiKeys = try APIKeys(path: path)
            } catch {
                store.close()
                throw StartError(description: error.description)
            }
        }
        let transitions = TransitionLog(directory: settings.transitionLogDirectory)
        let rateLimiter = settings.rateLimiter.map { RateLimiter($0) }
        let acme = settings.acme.flatMap { acme in
            tls.map { ACMEManager(acme, tls: $0) { line, isWarning in ServiceLog.write(isWarning ? .warning : .info, line) } }
        }
        let metrics = ServiceMetrics(store: store, tls: tls, rateLimiter: rateLimiter, acme: acme)
        let redirect = settings.redirectHTTP ? HTTPSRedirect() : nil
        var acmeChallenges: (@Sendable (Substring) -> [UInt8]?)?
        if let acme { acmeChallenges = { token in acme.challengeResponse(token: token) } }
        let dependencies = APIRoutes.Dependencies(
            store: store, transitions: transitions, apiKeys: apiKeys,
            readiness: { [tls] in ServiceReadiness.current(store: store, tls: tls, acme: acme, now: WallClock.now().seconds) },
            metrics: settings.metricsAddress == nil ? metrics : nil, redirect: redirect, rateLimiter: rateLimiter,
            acmeChallenges: acmeChallenges)
        let listeners = Self.listeners(settings, tls: tls, metrics: metrics, dependencies: dependencies)
        let accessLog = settings.accessLog ? JSONAccessLog(minimumStatus: settings.logLevel.minimumLoggedStatus) : nil
        let engine = settings.engine
        let server = HTTPServer(configuration: engine.configuration, listeners: listeners, accessLog: accessLog,
                                observer: metrics, afterEachTurn: { transitions.flush() })
        metrics.attach(server)
        do {
            try server.start()
        } catch {
            store.close()
            transitions.flush()
            throw StartError(description: error.description)
        }
        if let https = server.boundAddresses.first(where: \.isTLS) { redirect?.setHTTPSPort(Int(https.address.port)) }
        let expiry = CertificateExpiry()
        checkExpiry(tls, expiry)
        // The API's addresses as URLs, others named (`metrics=http://…`), so a script finds the API's port first.
        let addresses = server.boundAddresses.map { $0.name == apiListener ? $0.description : $0.name + "=" + $0.description }
            .joined(separator: " ")
        ServiceLog.always("capacityd: listening on \(addresses) (mode \(settings.mode.rawValue), state \(settings.store.location), logs \(settings.transitionLogDirectory), "
                          + "\(engine.configuration.eventLoops) event loop\(engine.configuration.eventLoops == 1 ? "" : "s") (\(engine.eventLoopsReason)))")
        do {
            try acme?.start()
        } catch {
            server.shutdown()
            server.wait()
            store.close()
            transitions.flush()
            throw StartError(description: "ACME storage \(settings.acme?.storage ?? ""): \(error)")
        }

        while true {
            // Wakes hourly without a signal, to warn about certificates nearing expiry on a long-running server.
            var hour = timespec(tv_sec: 3600, tv_nsec: 0)
            guard case .done(let received)? = try? syscall("sigtimedwait", { sigtimedwait(&signals, nil, &hour) }) else {
                checkExpiry(tls, expiry)
                continue
            }
            if received == SIGHUP {
                transitions.reopen()
                ServiceLog.write(.info, "capacityd: SIGHUP: transition log reopened")
                reloadTLS(tls, expiry)
                if let apiKeys {
                    if let error = apiKeys.reload() {
                        ServiceLog.write(.warning, "capacityd: SIGHUP: API keys not reloaded, the previous keys stay in use: \(error)")
                    } else {
                        ServiceLog.write(.info, "capacityd: SIGHUP: API keys reloaded from \(apiKeys.path)")
                    }
                }
                continue
            }
            ServiceLog.write(.info, "capacityd: signal \(received): shutting down (grace \(engine.configuration.shutdownGraceMilliseconds) ms)")
            break
        }
        server.shutdown()
        acme?.stop()
        server.wait()
        store.close()
        // Lines of writes the store finished while closing, after the loops' last turn.
        transitions.flush()
        let counters = store.health.figures.map(ServiceMetrics.family).compactMap { family -> String? in
            guard case .counter(let value) = family.sample else { return nil }
            let name = family.name.replacing("capacityd_store_", with: "").replacing("_total", with: "")
            return "\(name.replacing("_", with: " ")) \(value)"
        }
        ServiceLog.write(.info, "capacityd: stopped; the store's counters: " + counters.joined(separator: ", "))
        return 0
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

    private static func reloadTLS(_ tls: ReloadableTLSContext?, _ expiry: CertificateExpiry) {
        guard let tls else { return }
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
        checkExpiry(tls, expiry)
    }

    private static func checkExpiry(_ tls: ReloadableTLSContext?, _ expiry: CertificateExpiry) {
        guard let tls else { return }
        for line in expiry.warnings(for: tls.current.certificates, now: WallClock.now().seconds) { ServiceLog.write(.warning, line) }
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
