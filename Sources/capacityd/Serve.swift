import ACME
import CapacityServer
import Configuration
import Scaling
import Stores
import TLS

/// Where the dimensions are: every command that opens the store takes these.
enum StoreOptions {
    private static let standard = StoreSelection()

    static let table: [Option] = [
        Option("state-dir", default: "\(standard.stateDirectory)", help: "Directory of the durable file store (created if missing), and of the logs by default."),
        Option("database-url", valueName: "url", help: "PostgreSQL to keep the dimensions in instead of --state-dir, shared by every instance: a libpq URI (postgresql://user@host/db?sslmode=verify-full) or keyword=value string; what it leaves out comes from PGHOST, PGPASSFILE, PGSSLMODE and libpq's other variables. Also DATABASE_URL."),
        Option("database-pool", default: "\(standard.databasePool)", help: "Connections to PostgreSQL per process, each on a thread of its own."),
        Option("database-connect-timeout", default: "\(standard.databaseConnectTimeout)", help: "Seconds to connect to PostgreSQL (at least 2)."),
        Option("database-statement-timeout", default: "\(standard.databaseStatementTimeout)", help: "Seconds one statement may take (the server's statement_timeout; capacityd stops waiting a second later and answers 503)."),
        Option("database-lock-timeout", default: "\(standard.databaseLockTimeout)", help: "Seconds a statement may wait for a row another instance is writing (lock_timeout)."),
    ]

    static func selection(_ arguments: Arguments) throws(UsageError) -> StoreSelection {
        var selection = StoreSelection()
        if let value = arguments.string("state-dir") { selection.stateDirectory = value }
        selection.databaseURL = arguments.string("database-url")
        if let value = try arguments.int("database-pool") { selection.databasePool = value }
        if let value = try arguments.int("database-connect-timeout") { selection.databaseConnectTimeout = value }
        if let value = try arguments.double("database-statement-timeout") { selection.databaseStatementTimeout = value }
        if let value = try arguments.double("database-lock-timeout") { selection.databaseLockTimeout = value }
        do {
            try selection.validate()
        } catch {
            throw UsageError(error.message(naming: SettingFlags.flag))
        }
        return selection
    }
}

/// Every setting of the server: `serve` runs with them and `check-config` checks them.
enum ServeOptions {
    /// Where every default comes from: defined once, in CapacityServer and the engine.
    private static let standard = ServiceOptions()

    /// In the order `--help` lists them: the listeners and TLS, the mode, the store's, then the rest.
    static let table: [Option] = listenersAndMode + StoreOptions.table + afterStore

    private static let listenersAndMode: [Option] = [
        Option("http", .repeatable, default: standard.http.isEmpty ? nil : standard.http.joined(separator: ", "), help: "Address to serve plain HTTP on, e.g. 127.0.0.1:8080 or [::1]:8080. Repeat for more."),
        Option("no-http", .flag, help: "Serve no plain HTTP at all (HTTPS only)."),
        Option("metrics-listen", help: "Address to serve /metrics, /healthz and /readyz on, e.g. 0.0.0.0:9100 (plain HTTP; the API's listeners then no longer serve /metrics)."),
        Option("https", .repeatable, default: standard.https.isEmpty ? nil : standard.https.joined(separator: ", "), help: "Address to serve HTTPS on, e.g. 0.0.0.0:8443. Repeat for more. Needs --tls-cert and --tls-key."),
        Option("tls-cert", .repeatable, default: standard.tlsCertificates.isEmpty ? nil : standard.tlsCertificates.joined(separator: ", "), help: "PEM certificate chain for HTTPS: the server certificate, then its intermediates. Repeat with --tls-key for several certificates, chosen by the name a client asks for (SNI); the first is the default."),
        Option("tls-key", .repeatable, default: standard.tlsKeys.isEmpty ? nil : standard.tlsKeys.joined(separator: ", "), help: "PEM private key (RSA or ECDSA) of the --tls-cert certificate in the same position."),
        Option("client-ca", help: "PEM file of trusted client certificates (API Gateway's) or CAs."),
        Option("client-cert", default: standard.clientCertificateMode.rawValue, help: "Client certificates: off, optional (asked for; the dimensions API needs one) or required (the handshake fails without one)."),
        Option("client-verify-depth", default: "\(standard.clientVerifyDepth)", help: "Certificates allowed above a client certificate in its chain."),
        Option("acme-webroot", help: "Serve ACME HTTP-01 challenges from DIR/.well-known/acme-challenge (certbot --webroot -w DIR)."),
        Option("acme-domain", .repeatable, default: standard.acmeDomains.isEmpty ? nil : standard.acmeDomains.joined(separator: ", "), help: "Obtain and renew a certificate for this name from an ACME CA (Let's Encrypt by default), answering HTTP-01 on the --http listener. Repeat for more names (one certificate for all). Kept in STATE_DIR/acme."),
        Option("acme-email", help: "Contact address for the ACME account (expiry notices from the CA)."),
        Option("acme-directory", help: "ACME directory URL (default: Let's Encrypt, \(ACMEManager.Settings.letsEncrypt))."),
        Option("acme-staging", .flag, help: "Use Let's Encrypt's staging directory (untrusted certificates, generous rate limits)."),
        Option("acme-ca-root", help: "PEM file trusted for the ACME CA's HTTPS API instead of the system's store (a test CA such as pebble)."),
        Option("redirect-http", .flag, help: "Redirect plain-HTTP requests (but ACME challenges, /healthz and /readyz) to the first --https address."),
        Option("mode", default: standard.mode.rawValue, help: "How dimensions move between statuses (see the README)."),
    ]

    private static let afterStore: [Option] = [
        Option("migrate", .flag, help: "Migrate the database's schema (as capacityd db migrate) before serving; safe from every instance at once."),
        Option("log-dir", help: "Directory of the api-YYYYMMDD transition logs (default: STATE_DIR/log)."),
        Option("no-auto-create", .flag, help: "Answer 404 for an unknown id instead of creating it with the defaults."),
        Option("default-version", default: "\(standard.defaults.version)", help: "version of a dimension created on first use."),
        Option("default-resource-name", default: "\(standard.defaults.resourceName)", help: "resourceName of a dimension created on first use."),
        Option("default-dimension-name", default: "\(standard.defaults.dimensionName)", help: "dimensionName of a dimension created on first use."),
        Option("default-capacity", default: "\(standard.defaults.capacity)", help: "Actual and desired capacity of a dimension created on first use."),
        Option("max-capacity", default: "\(standard.maxCapacity)", help: "Largest actualCapacity or desiredCapacity a request may set (400 past it); Application Auto Scaling's capacities are 32-bit integers."),
        Option("rate-limit", valueName: "n/s", help: "Requests per second per client on the dimension and admin routes, such as 50/s; past it 429 with Retry-After. A client is its verified certificate, else a valid API key, else its address. Off by default."),
        Option("rate-burst", help: "Requests a client may make at once before --rate-limit applies (default: the rate's N)."),
        Option("rate-limit-clients", default: "\(standard.rateLimitClients)", help: "Clients whose rate is remembered at most (bounds memory; a forgotten client starts with a full burst)."),
        Option("event-loops", help: "Event loop threads (default: one per CPU the process may use: its affinity mask, capped by its cgroup's CPU quota)."),
        Option("max-connections", default: "\(standard.maxConnections)", help: "Open connections at most; more are answered 503 and closed."),
        Option("max-request-line-bytes", default: "\(standard.maxRequestLineBytes)", help: "Longest request line (414 past it)."),
        Option("max-header-bytes", default: "\(standard.maxHeaderBytes)", help: "Most bytes of header fields (431 past it)."),
        Option("max-header-count", default: "\(standard.maxHeaderCount)", help: "Most header fields (431 past it)."),
        Option("max-body-bytes", default: "\(standard.maxBodyBytes)", help: "Largest request body (413 past it, before it is read)."),
        Option("header-timeout", default: "\(standard.headerTimeout)", help: "Seconds to receive a request's head, from its first byte (408 after)."),
        Option("body-timeout", default: "\(standard.bodyTimeout)", help: "Seconds to receive a request's body once its head is in (408 after)."),
        Option("idle-timeout", default: "\(standard.idleTimeout)", help: "Seconds a keep-alive connection may wait for its next request. The default, 75, outlasts load balancers' 60 s idle timeout, so the balancer closes first (otherwise it may reuse a connection capacityd is closing: intermittent 502s)."),
        Option("write-timeout", default: "\(standard.writeTimeout)", help: "Seconds a response may wait for a client that does not read it."),
        Option("shutdown-grace", default: "\(standard.shutdownGrace)", help: "Seconds in-flight requests get after SIGTERM before connections are cut."),
        Option("api-keys", help: "File of keys (one per line, or sha256:HEX) required to PATCH actualCapacity, scalingStatus or failureReason."),
        Option("gzip-min-bytes", default: "\(standard.gzipMinimumBytes)", help: "Smallest JSON or text response body to gzip when the client accepts it (0: never)."),
        Option("log-level", default: standard.logLevel.rawValue, help: "debug, info, warning or error: stderr messages at or above it; the access log records every request at info, only 4xx/5xx at warning, only 5xx at error."),
        Option("no-access-log", .flag, help: "Do not write the JSON access log to stdout."),
    ]

    /// The command line (and the environment added to it) as CapacityServer's plain values, checked.
    static func options(_ arguments: Arguments) throws(UsageError) -> ServiceOptions {
        var options = ServiceOptions()
        if let values = arguments.strings("http") { options.http = values }
        options.noHTTP = arguments.flag("no-http")
        options.metricsListen = arguments.string("metrics-listen")
        if let values = arguments.strings("https") { options.https = values }
        if let values = arguments.strings("tls-cert") { options.tlsCertificates = values }
        if let values = arguments.strings("tls-key") { options.tlsKeys = values }
        options.clientTrustFile = arguments.string("client-ca")
        if let value = try arguments.choice("client-cert", TLSConfiguration.ClientCertificateMode.self) { options.clientCertificateMode = value }
        if let value = try arguments.int("client-verify-depth") { options.clientVerifyDepth = value }
        options.acmeWebroot = arguments.string("acme-webroot")
        if let values = arguments.strings("acme-domain") { options.acmeDomains = values }
        options.acmeEmail = arguments.string("acme-email")
        options.acmeDirectory = arguments.string("acme-directory")
        options.acmeStaging = arguments.flag("acme-staging")
        options.acmeCARoot = arguments.string("acme-ca-root")
        options.redirectHTTP = arguments.flag("redirect-http")
        if let value = try arguments.choice("mode", ScalingMode.self) { options.mode = value }
        options.migrate = arguments.flag("migrate")
        options.logDirectory = arguments.string("log-dir")
        options.noAutoCreate = arguments.flag("no-auto-create")
        if let value = arguments.string("default-version") { options.defaults.version = value }
        if let value = arguments.string("default-resource-name") { options.defaults.resourceName = value }
        if let value = arguments.string("default-dimension-name") { options.defaults.dimensionName = value }
        if let value = try arguments.double("default-capacity") { options.defaults.capacity = value }
        if let value = try arguments.double("max-capacity") { options.maxCapacity = value }
        options.rateLimit = arguments.string("rate-limit")
        options.rateBurst = try arguments.double("rate-burst")
        if let value = try arguments.int("rate-limit-clients") { options.rateLimitClients = value }
        options.eventLoops = try arguments.int("event-loops")
        if let value = try arguments.int("max-connections") { options.maxConnections = value }
        if let value = try arguments.int("max-request-line-bytes") { options.maxRequestLineBytes = value }
        if let value = try arguments.int("max-header-bytes") { options.maxHeaderBytes = value }
        if let value = try arguments.int("max-header-count") { options.maxHeaderCount = value }
        if let value = try arguments.int("max-body-bytes") { options.maxBodyBytes = value }
        if let value = try arguments.double("header-timeout") { options.headerTimeout = value }
        if let value = try arguments.double("body-timeout") { options.bodyTimeout = value }
        if let value = try arguments.double("idle-timeout") { options.idleTimeout = value }
        if let value = try arguments.double("write-timeout") { options.writeTimeout = value }
        if let value = try arguments.double("shutdown-grace") { options.shutdownGrace = value }
        options.apiKeysFile = arguments.string("api-keys")
        if let value = try arguments.int("gzip-min-bytes") { options.gzipMinimumBytes = value }
        if let value = try arguments.choice("log-level", LogLevel.self) { options.logLevel = value }
        options.noAccessLog = arguments.flag("no-access-log")
        options.store = try StoreOptions.selection(arguments)
        do {
            try options.validate()
        } catch {
            throw UsageError(error.message(naming: SettingFlags.flag))
        }
        return options
    }
}

extension Command {
    static let serve = Command(
        "serve", abstract: "Run the HTTP server.", options: ServeOptions.table
    ) { arguments in
        do {
            return try CapacityService.run(ServeOptions.options(arguments).settings)
        } catch let error as CapacityService.StartError {
            throw StartFailure(message: error.description)
        }
    }

    static let checkConfig = Command(
        "check-config",
        abstract: "Check a configuration without serving: files readable, certificates valid, ports free, state writable.",
        discussion: "Takes exactly the options (and environment variables) of serve. Prints one line per problem and exits 1 if there is any.",
        options: ServeOptions.table
    ) { arguments in
        let problems = ConfigurationCheck.problems(try ServeOptions.options(arguments).settings)
        for problem in problems { print(problem) }
        if !problems.isEmpty { return 1 }
        print("configuration ok")
        return 0
    }
}
