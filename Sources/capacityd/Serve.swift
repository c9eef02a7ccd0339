import ACME
import CapacityServer
import Configuration
import StoreFactory

/// Where the dimensions are: every command that opens the store takes these.
enum StoreOptions {
    static let declarations: [OptionDeclaration<StoreSelection>] = [
        .value("state-dir", \.stateDirectory, help: "Directory of the durable file store (created if missing), and of the logs by default."),
        .value("database-url", \.databaseURL, valueName: "url", help: "PostgreSQL to keep the dimensions in instead of --state-dir, shared by every instance: a libpq URI (postgresql://user@host/db?sslmode=verify-full) or keyword=value string; what it leaves out comes from PGHOST, PGPASSFILE, PGSSLMODE and libpq's other variables. Also DATABASE_URL."),
        .value("database-pool", \.databasePool, help: "Connections to PostgreSQL per process, each on a thread of its own."),
        .value("database-connect-timeout", \.databaseConnectTimeout, help: "Seconds to connect to PostgreSQL (at least 2)."),
        .value("database-statement-timeout", \.databaseStatementTimeout, help: "Seconds one statement may take (the server's statement_timeout; capacityd stops waiting a second later and answers 503)."),
        .value("database-lock-timeout", \.databaseLockTimeout, help: "Seconds a statement may wait for a row another instance is writing (lock_timeout)."),
    ]

    static let table = declarations.options()

    static func selection(_ arguments: Arguments) throws(UsageError) -> StoreSelection {
        let selection = try declarations.settings(arguments)
        do {
            try selection.validate()
        } catch {
            throw UsageError(error.message(naming: SettingFlags.flag))
        }
        return selection
    }
}

extension StoreSelection: OptionSettings {}

/// Every setting of the server: `serve` runs with them and `check-config` checks them.
enum ServeOptions {
    /// In the order `--help` lists them: the listeners and TLS, the mode, the store's, then the rest.
    static let declarations: [OptionDeclaration<ServiceSettings>] = listenersAndMode
        + StoreOptions.declarations.map { $0.within(\.store) } + afterStore

    static let table = declarations.options()

    private static let listenersAndMode: [OptionDeclaration<ServiceSettings>] = [
        .repeatable("http", \.http, help: "Address to serve plain HTTP on, e.g. 127.0.0.1:8080 or [::1]:8080. Repeat for more."),
        .flag("no-http", \.noHTTP, help: "Serve no plain HTTP at all (HTTPS only)."),
        .value("metrics-listen", \.metricsListen, help: "Address to serve /metrics, /healthz and /readyz on, e.g. 0.0.0.0:9100 (plain HTTP; the API's listeners then no longer serve /metrics)."),
        .repeatable("https", \.https, help: "Address to serve HTTPS on, e.g. 0.0.0.0:8443. Repeat for more. Needs --tls-cert and --tls-key."),
        .repeatable("tls-cert", \.tlsCertificates, help: "PEM certificate chain for HTTPS: the server certificate, then its intermediates. Repeat with --tls-key for several certificates, chosen by the name a client asks for (SNI); the first is the default."),
        .repeatable("tls-key", \.tlsKeys, help: "PEM private key (RSA or ECDSA) of the --tls-cert certificate in the same position."),
        .value("client-ca", \.clientTrustFile, help: "PEM file of trusted client certificates (API Gateway's) or CAs."),
        .value("client-cert", \.clientCertificateMode, help: "Client certificates: off, optional (asked for; the dimensions API needs one) or required (the handshake fails without one)."),
        .value("client-verify-depth", \.clientVerifyDepth, help: "Certificates allowed above a client certificate in its chain."),
        .value("acme-webroot", \.acmeWebroot, help: "Serve ACME HTTP-01 challenges from DIR/.well-known/acme-challenge (certbot --webroot -w DIR)."),
        .repeatable("acme-domain", \.acmeDomains, help: "Obtain and renew a certificate for this name from an ACME CA (Let's Encrypt by default), answering HTTP-01 on the --http listener. Repeat for more names (one certificate for all). Kept in STATE_DIR/acme."),
        .value("acme-email", \.acmeEmail, help: "Contact address for the ACME account (expiry notices from the CA)."),
        .value("acme-directory", \.acmeDirectory, help: "ACME directory URL (default: Let's Encrypt, \(ACMEManager.Settings.letsEncrypt))."),
        .flag("acme-staging", \.acmeStaging, help: "Use Let's Encrypt's staging directory (untrusted certificates, generous rate limits)."),
        .value("acme-ca-root", \.acmeCARoot, help: "PEM file trusted for the ACME CA's HTTPS API instead of the system's store (a test CA such as pebble)."),
        .flag("redirect-http", \.redirectHTTP, help: "Redirect plain-HTTP requests (but ACME challenges, /healthz and /readyz) to the first --https address."),
        .value("mode", \.mode, help: "How dimensions move between statuses (see the README)."),
    ]

    private static let afterStore: [OptionDeclaration<ServiceSettings>] = [
        .flag("migrate", \.migrate, help: "Migrate the database's schema (as capacityd db migrate) before serving; safe from every instance at once."),
        .value("log-dir", \.logDirectory, help: "Directory of the api-YYYYMMDD transition logs (default: STATE_DIR/log)."),
        .flag("no-auto-create", \.autoCreate, setting: false, help: "Answer 404 for an unknown id instead of creating it with the defaults."),
        .value("default-version", \.defaults.version, help: "version of a dimension created on first use."),
        .value("default-resource-name", \.defaults.resourceName, help: "resourceName of a dimension created on first use."),
        .value("default-dimension-name", \.defaults.dimensionName, help: "dimensionName of a dimension created on first use."),
        .value("default-capacity", \.defaults.capacity, help: "Actual and desired capacity of a dimension created on first use."),
        .value("max-capacity", \.maxCapacity, help: "Largest actualCapacity or desiredCapacity a request may set (400 past it); Application Auto Scaling's capacities are 32-bit integers."),
        .value("rate-limit", \.rateLimit, valueName: "n/s", help: "Requests per second per client on the dimension and admin routes, such as 50/s; past it 429 with Retry-After. A client is its verified certificate, else a valid API key, else its address. Off by default."),
        .value("rate-burst", \.rateBurst, help: "Requests a client may make at once before --rate-limit applies (default: the rate's N)."),
        .value("rate-limit-clients", \.rateLimitClients, help: "Clients whose rate is remembered at most (bounds memory; a forgotten client starts with a full burst)."),
        .value("event-loops", \.eventLoops, help: "Event loop threads (default: one per CPU the process may use: its affinity mask, capped by its cgroup's CPU quota)."),
        .value("max-connections", \.maxConnections, help: "Open connections at most; more are answered 503 and closed."),
        .value("max-request-line-bytes", \.maxRequestLineBytes, help: "Longest request line (414 past it)."),
        .value("max-header-bytes", \.maxHeaderBytes, help: "Most bytes of header fields (431 past it)."),
        .value("max-header-count", \.maxHeaderCount, help: "Most header fields (431 past it)."),
        .value("max-body-bytes", \.maxBodyBytes, help: "Largest request body (413 past it, before it is read)."),
        .value("header-timeout", \.headerTimeout, help: "Seconds to receive a request's head, from its first byte (408 after)."),
        .value("body-timeout", \.bodyTimeout, help: "Seconds to receive a request's body once its head is in (408 after)."),
        .value("idle-timeout", \.idleTimeout, help: "Seconds a keep-alive connection may wait for its next request. The default, 75, outlasts load balancers' 60 s idle timeout, so the balancer closes first (otherwise it may reuse a connection capacityd is closing: intermittent 502s)."),
        .value("write-timeout", \.writeTimeout, help: "Seconds a response may wait for a client that does not read it."),
        .value("shutdown-grace", \.shutdownGrace, help: "Seconds in-flight requests get after SIGTERM before connections are cut."),
        .value("max-wait", \.maxWait, help: "Longest wait, in seconds, of a long-poll (a production-mode GET with If-None-Match and Prefer: wait=N); kept below --idle-timeout."),
        .repeatable("webhook-url", \.webhookURLs, help: "Receiver of a signed webhook (Standard Webhooks) for every durable change of a dimension: https, or http to loopback or a private network. Repeat for more. Needs --webhook-secret or --webhook-secret-file. Instances sharing a database should name the same receivers."),
        .value("webhook-secret", \.webhookSecret, help: "The receivers' signing secret, whsec_<base64 of 24 to 64 bytes>."),
        .value("webhook-secret-file", \.webhookSecretFile, help: "File holding the signing secret (whsec_…), instead of --webhook-secret."),
        .value("webhook-timeout", \.webhookTimeout, help: "Seconds one delivery attempt may take: connect, send, and the answer (read up to 64 KiB)."),
        .value("webhook-retry-schedule", \.webhookRetrySchedule, help: "Delays between attempts, such as 5s,5m,30m,2h (default: Standard Webhooks' 5s,5m,30m,2h,5h,10h,10h); after the last, the event is dropped."),
        .value("webhook-ca", \.webhookCA, help: "PEM file of the CAs an https receiver's certificate must chain to, instead of the system's."),
        .value("webhook-concurrency", \.webhookConcurrency, help: "Deliveries under way at once at most."),
        .value("max-waiting", \.maxWaiting, help: "Long-polls waiting at once at most; past it such a GET is answered at once (0: no long-polls)."),
        .value("api-keys", \.apiKeysFile, help: "File of keys (one per line, or sha256:HEX) required to PATCH actualCapacity, scalingStatus or failureReason."),
        .value("gzip-min-bytes", \.gzipMinimumBytes, help: "Smallest JSON or text response body to gzip when the client accepts it (0: never)."),
        .value("log-level", \.logLevel, help: "debug, info, warning or error: stderr messages at or above it; the access log records every request at info, only 4xx/5xx at warning, only 5xx at error."),
        .flag("no-access-log", \.accessLog, setting: false, help: "Do not write the JSON access log to stdout."),
    ]

    /// The command line (and the environment added to it) as CapacityServer's settings, checked.
    static func settings(_ arguments: Arguments) throws(UsageError) -> ServiceSettings {
        let settings = try declarations.settings(arguments)
        do {
            try settings.validate()
        } catch {
            throw UsageError(error.message(naming: SettingFlags.flag))
        }
        return settings
    }
}

extension ServiceSettings: OptionSettings {}

extension Command {
    static let serve = Command(
        "serve", abstract: "Run the HTTP server.", options: ServeOptions.table
    ) { arguments in
        do {
            return try CapacityService.run(ServeOptions.settings(arguments))
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
        let problems = ConfigurationCheck.problems(try ServeOptions.settings(arguments))
        for problem in problems { print(problem) }
        if !problems.isEmpty { return 1 }
        print("configuration ok")
        return 0
    }
}
