import ACME
import ArgumentParser
import CapacityServer
import Scaling
import Stores
import TLS

extension ScalingMode: ExpressibleByArgument {}
extension TLSConfiguration.ClientCertificateMode: ExpressibleByArgument {}
extension LogLevel: ExpressibleByArgument {}

/// Where the dimensions are: every command that opens the store takes these.
struct StoreArguments: ParsableArguments {
    private static let standard = StoreSelection()

    @Option(name: .customLong("state-dir"), help: "Directory of the durable file store (created if missing), and of the logs by default.")
    var stateDirectory = standard.stateDirectory

    @Option(name: .customLong("database-url"), help: ArgumentHelp("PostgreSQL to keep the dimensions in instead of --state-dir, shared by every instance: a libpq URI (postgresql://user@host/db?sslmode=verify-full) or keyword=value string; what it leaves out comes from PGHOST, PGPASSFILE, PGSSLMODE and libpq's other variables. Also DATABASE_URL.", valueName: "url"))
    var databaseURL: String?

    @Option(name: .customLong("database-pool"), help: "Connections to PostgreSQL per process, each on a thread of its own.")
    var databasePool = standard.databasePool

    @Option(name: .customLong("database-connect-timeout"), help: "Seconds to connect to PostgreSQL (at least 2).")
    var databaseConnectTimeout = standard.databaseConnectTimeout

    @Option(name: .customLong("database-statement-timeout"), help: "Seconds one statement may take (the server's statement_timeout; capacityd stops waiting a second later and answers 503).")
    var databaseStatementTimeout = standard.databaseStatementTimeout

    @Option(name: .customLong("database-lock-timeout"), help: "Seconds a statement may wait for a row another instance is writing (lock_timeout).")
    var databaseLockTimeout = standard.databaseLockTimeout

    func validate() throws {
        do {
            try selection.validate()
        } catch {
            throw ValidationError(error.description)
        }
    }

    var selection: StoreSelection {
        var selection = StoreSelection()
        selection.stateDirectory = stateDirectory
        selection.databaseURL = databaseURL
        selection.databasePool = databasePool
        selection.databaseConnectTimeout = databaseConnectTimeout
        selection.databaseStatementTimeout = databaseStatementTimeout
        selection.databaseLockTimeout = databaseLockTimeout
        return selection
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the HTTP server.")

    @OptionGroup var options: ServeOptions

    func run() throws {
        do {
            let code = try CapacityService.run(options.settings)
            throw ExitCode(code)
        } catch let error as CapacityService.StartError {
            throw StartFailure(message: error.description)
        }
    }
}

/// Every setting of the server; `serve` runs with them and `check-config` checks them.
struct ServeOptions: ParsableArguments {
    /// Where every default comes from: defined once, in CapacityServer and the engine.
    private static let standard = ServiceOptions()

    @Option(name: .customLong("http"), help: "Address to serve plain HTTP on, e.g. 127.0.0.1:8080 or [::1]:8080. Repeat for more.")
    var http = standard.http

    @Flag(name: .customLong("no-http"), help: "Serve no plain HTTP at all (HTTPS only).")
    var noHTTP = standard.noHTTP

    @Option(name: .customLong("metrics-listen"), help: "Address to serve /metrics, /healthz and /readyz on, e.g. 0.0.0.0:9100 (plain HTTP; the API's listeners then no longer serve /metrics).")
    var metricsListen: String?

    @Option(name: .customLong("https"), help: "Address to serve HTTPS on, e.g. 0.0.0.0:8443. Repeat for more. Needs --tls-cert and --tls-key.")
    var https = standard.https

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain for HTTPS: the server certificate, then its intermediates. Repeat with --tls-key for several certificates, chosen by the name a client asks for (SNI); the first is the default.")
    var tlsCertificates = standard.tlsCertificates

    @Option(name: .customLong("tls-key"), help: "PEM private key (RSA or ECDSA) of the --tls-cert certificate in the same position.")
    var tlsKeys = standard.tlsKeys

    @Option(name: .customLong("client-ca"), help: "PEM file of trusted client certificates (API Gateway's) or CAs.")
    var clientTrustFile: String?

    @Option(name: .customLong("client-cert"), help: "Client certificates: off, optional (asked for; the dimensions API needs one) or required (the handshake fails without one).")
    var clientCertificateMode = standard.clientCertificateMode

    @Option(name: .customLong("client-verify-depth"), help: "Certificates allowed above a client certificate in its chain.")
    var clientVerifyDepth = standard.clientVerifyDepth

    @Option(name: .customLong("acme-webroot"), help: "Serve ACME HTTP-01 challenges from DIR/.well-known/acme-challenge (certbot --webroot -w DIR).")
    var acmeWebroot: String?

    @Option(name: .customLong("acme-domain"), help: "Obtain and renew a certificate for this name from an ACME CA (Let's Encrypt by default), answering HTTP-01 on the --http listener. Repeat for more names (one certificate for all). Kept in STATE_DIR/acme.")
    var acmeDomains = standard.acmeDomains

    @Option(name: .customLong("acme-email"), help: "Contact address for the ACME account (expiry notices from the CA).")
    var acmeEmail: String?

    @Option(name: .customLong("acme-directory"), help: "ACME directory URL (default: Let's Encrypt, \(ACMEManager.Settings.letsEncrypt)).")
    var acmeDirectory: String?

    @Flag(name: .customLong("acme-staging"), help: "Use Let's Encrypt's staging directory (untrusted certificates, generous rate limits).")
    var acmeStaging = standard.acmeStaging

    @Option(name: .customLong("acme-ca-root"), help: "PEM file trusted for the ACME CA's HTTPS API instead of the system's store (a test CA such as pebble).")
    var acmeCARoot: String?

    @Flag(name: .customLong("redirect-http"), help: "Redirect plain-HTTP requests (but ACME challenges) to the first --https address.")
    var redirectHTTP = standard.redirectHTTP

    @Option(help: "How dimensions move between statuses (see the README).")
    var mode = standard.mode

    @OptionGroup var store: StoreArguments

    @Flag(name: .customLong("migrate"), help: "Migrate the database's schema (as capacityd db migrate) before serving; safe from every instance at once.")
    var migrate = standard.migrate

    @Option(name: .customLong("log-dir"), help: "Directory of the api-YYYYMMDD transition logs (default: STATE_DIR/log).")
    var logDirectory: String?

    @Flag(name: .customLong("no-auto-create"), help: "Answer 404 for an unknown id instead of creating it with the defaults.")
    var noAutoCreate = standard.noAutoCreate

    @Option(name: .customLong("default-version"), help: "version of a dimension created on first use.")
    var defaultVersion = standard.defaults.version

    @Option(name: .customLong("default-resource-name"), help: "resourceName of a dimension created on first use.")
    var defaultResourceName = standard.defaults.resourceName

    @Option(name: .customLong("default-dimension-name"), help: "dimensionName of a dimension created on first use.")
    var defaultDimensionName = standard.defaults.dimensionName

    @Option(name: .customLong("default-capacity"), help: "Actual and desired capacity of a dimension created on first use.")
    var defaultCapacity = standard.defaults.capacity

    @Option(name: .customLong("max-capacity"), help: "Largest actualCapacity or desiredCapacity a request may set (400 past it); Application Auto Scaling's capacities are 32-bit integers.")
    var maxCapacity = standard.maxCapacity

    @Option(name: .customLong("rate-limit"), help: ArgumentHelp("Requests per second per client on the dimension and admin routes, such as 50/s; past it 429 with Retry-After. A client is its verified certificate, else a valid API key, else its address. Off by default.", valueName: "n/s"))
    var rateLimit: String?

    @Option(name: .customLong("rate-burst"), help: "Requests a client may make at once before --rate-limit applies (default: the rate's N).")
    var rateBurst: Double?

    @Option(name: .customLong("rate-limit-clients"), help: "Clients whose rate is remembered at most (bounds memory; a forgotten client starts with a full burst).")
    var rateLimitClients = standard.rateLimitClients

    @Option(name: .customLong("event-loops"), help: "Event loop threads (default: one per CPU the process may use: its affinity mask, capped by its cgroup's CPU quota).")
    var eventLoops: Int?

    @Option(name: .customLong("max-connections"), help: "Open connections at most; more are answered 503 and closed.")
    var maxConnections = standard.maxConnections

    @Option(name: .customLong("max-request-line-bytes"), help: "Longest request line (414 past it).")
    var maxRequestLineBytes = standard.maxRequestLineBytes

    @Option(name: .customLong("max-header-bytes"), help: "Most bytes of header fields (431 past it).")
    var maxHeaderBytes = standard.maxHeaderBytes

    @Option(name: .customLong("max-header-count"), help: "Most header fields (431 past it).")
    var maxHeaderCount = standard.maxHeaderCount

    @Option(name: .customLong("max-body-bytes"), help: "Largest request body (413 past it, before it is read).")
    var maxBodyBytes = standard.maxBodyBytes

    @Option(name: .customLong("header-timeout"), help: "Seconds to receive a request's head, from its first byte (408 after).")
    var headerTimeout = standard.headerTimeout

    @Option(name: .customLong("body-timeout"), help: "Seconds to receive a request's body once its head is in (408 after).")
    var bodyTimeout = standard.bodyTimeout

    @Option(name: .customLong("idle-timeout"), help: "Seconds a keep-alive connection may wait for its next request. The default, 75, outlasts load balancers' 60 s idle timeout, so the balancer closes first (otherwise it may reuse a connection capacityd is closing: intermittent 502s).")
    var idleTimeout = standard.idleTimeout

    @Option(name: .customLong("write-timeout"), help: "Seconds a response may wait for a client that does not read it.")
    var writeTimeout = standard.writeTimeout

    @Option(name: .customLong("shutdown-grace"), help: "Seconds in-flight requests get after SIGTERM before connections are cut.")
    var shutdownGrace = standard.shutdownGrace

    @Option(name: .customLong("api-keys"), help: "File of keys (one per line, or sha256:HEX) required to PATCH actualCapacity, scalingStatus or failureReason.")
    var apiKeysFile: String?

    @Option(name: .customLong("gzip-min-bytes"), help: "Smallest JSON or text response body to gzip when the client accepts it (0: never).")
    var gzipMinimumBytes = standard.gzipMinimumBytes

    @Option(name: .customLong("log-level"), help: "debug, info, warning or error: stderr messages at or above it; the access log records every request at info, only 4xx/5xx at warning, only 5xx at error.")
    var logLevel = standard.logLevel

    @Flag(name: .customLong("no-access-log"), help: "Do not write the JSON access log to stdout.")
    var noAccessLog = standard.noAccessLog

    func validate() throws {
        do {
            try options.validate()
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The parsed options as CapacityServer's plain values.
    var options: ServiceOptions {
        var options = ServiceOptions()
        options.http = http
        options.noHTTP = noHTTP
        options.https = https
        options.metricsListen = metricsListen
        options.tlsCertificates = tlsCertificates
        options.tlsKeys = tlsKeys
        options.clientTrustFile = clientTrustFile
        options.clientCertificateMode = clientCertificateMode
        options.clientVerifyDepth = clientVerifyDepth
        options.acmeWebroot = acmeWebroot
        options.acmeDomains = acmeDomains
        options.acmeEmail = acmeEmail
        options.acmeDirectory = acmeDirectory
        options.acmeStaging = acmeStaging
        options.acmeCARoot = acmeCARoot
        options.redirectHTTP = redirectHTTP
        options.mode = mode
        options.store = store.selection
        options.migrate = migrate
        options.logDirectory = logDirectory
        options.noAutoCreate = noAutoCreate
        options.defaults = DimensionDefaults(version: defaultVersion, resourceName: defaultResourceName,
                                             dimensionName: defaultDimensionName, capacity: defaultCapacity)
        options.maxCapacity = maxCapacity
        options.rateLimit = rateLimit
        options.rateBurst = rateBurst
        options.rateLimitClients = rateLimitClients
        options.eventLoops = eventLoops
        options.maxConnections = maxConnections
        options.maxRequestLineBytes = maxRequestLineBytes
        options.maxHeaderBytes = maxHeaderBytes
        options.maxHeaderCount = maxHeaderCount
        options.maxBodyBytes = maxBodyBytes
        options.headerTimeout = headerTimeout
        options.bodyTimeout = bodyTimeout
        options.idleTimeout = idleTimeout
        options.writeTimeout = writeTimeout
        options.shutdownGrace = shutdownGrace
        options.apiKeysFile = apiKeysFile
        options.gzipMinimumBytes = gzipMinimumBytes
        options.logLevel = logLevel
        options.noAccessLog = noAccessLog
        return options
    }

    var settings: ServiceSettings { options.settings }
}

/// A start-up failure: one line saying what and where, exit code 1.
struct StartFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
