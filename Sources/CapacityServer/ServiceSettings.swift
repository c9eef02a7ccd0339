import HTTP1
import HTTPServer
import Scaling
import StoreFactory
import SystemIO
import TLS

/// Everything `serve` and `check-config` are told, as plain values the way the command line and the environment
/// say them: the one value between the options and the parts, whose own configurations are derived from it
/// (`ServiceSettings+Parts.swift`) once `validate()` has passed. Each default is defined once: the engine's limits
/// and timeouts come from `ParserLimits` and `ServerConfiguration`, the store's from `StoreSelection`, so the
/// executable's option declarations show them without restating them.
public struct ServiceSettings: Sendable {
    private static let engineDefaults = ServerConfiguration()

    /// Plain-HTTP addresses of the API.
    public var http = ["127.0.0.1:8080"]
    /// Serve no plain HTTP whatever `http` says.
    public var noHTTP = false
    public var https: [String] = []
    /// A plain-HTTP listener for `/metrics`, `/healthz` and `/readyz` only; with it the API's listeners no longer
    /// serve `/metrics`.
    public var metricsListen: String?
    /// Certificate and key files in pairs, in order: the first is served to clients that name no known server.
    public var tlsCertificates: [String] = []
    public var tlsKeys: [String] = []
    public var clientTrustFile: String?
    public var clientCertificateMode: TLSConfiguration.ClientCertificateMode = .off
    public var clientVerifyDepth = 1
    /// Where `certbot certonly --webroot -w DIR` puts HTTP-01 challenge files; nil serves none.
    public var acmeWebroot: String?
    /// Names capacityd obtains one certificate for itself (RFC 8555, HTTP-01).
    public var acmeDomains: [String] = []
    public var acmeEmail: String?
    /// nil: Let's Encrypt (its staging directory with `acmeStaging`).
    public var acmeDirectory: String?
    public var acmeStaging = false
    public var acmeCARoot: String?
    /// Answer plain-HTTP requests (but ACME challenges and health probes) with a redirect to the first HTTPS listener.
    public var redirectHTTP = false
    public var mode: ScalingMode = .demo
    /// The file store's directory (also the default home of the logs), or a database.
    public var store = StoreSelection()
    /// Migrate the database's schema before serving (PostgreSQL only).
    public var migrate = false
    /// The transition logs' directory; nil: `log` in the state directory.
    public var logDirectory: String?
    /// Whether an unknown id is created on first use (the old sample's behaviour) or is a 404.
    public var autoCreate = true
    public var defaults = DimensionDefaults()
    /// The largest capacity a request may set.
    public var maxCapacity = DimensionUpdate.defaultMaxCapacity
    /// nil: one per CPU the process may use (`CPUBudget`).
    public var eventLoops: Int?
    /// What the default number of event loops is made from; nil reads it from the kernel.
    public var cpuBudget: CPUBudget?
    public var maxConnections = engineDefaults.maxConnections
    public var maxRequestLineBytes = engineDefaults.parserLimits.maxRequestLineBytes
    public var maxHeaderBytes = engineDefaults.parserLimits.maxHeaderBytes
    public var maxHeaderCount = engineDefaults.parserLimits.maxHeaderCount
    public var maxBodyBytes = engineDefaults.parserLimits.maxBodyBytes
    /// Seconds, as the options take them.
    public var headerTimeout = seconds(engineDefaults.headerTimeoutMilliseconds)
    public var bodyTimeout = seconds(engineDefaults.bodyTimeoutMilliseconds)
    public var idleTimeout = seconds(engineDefaults.idleTimeoutMilliseconds)
    public var writeTimeout = seconds(engineDefaults.writeTimeoutMilliseconds)
    public var shutdownGrace = seconds(engineDefaults.shutdownGraceMilliseconds)
    /// The longest a long-poll (`Prefer: wait=N`) waits, in seconds.
    public var maxWait = 60
    /// Long-polls waiting at once at most; past it a GET is answered at once.
    public var maxWaiting = 10_000
    /// Receivers of a signed webhook for every durable change (Standard Webhooks).
    public var webhookURLs: [String] = []
    /// `whsec_…`; or read from `webhookSecretFile`.
    public var webhookSecret: String?
    public var webhookSecretFile: String?
    /// Seconds one delivery attempt may take.
    public var webhookTimeout = 10.0
    /// Delays between attempts (`5s,5m,30m`); nil: Standard Webhooks' own.
    public var webhookRetrySchedule: String?
    /// A PEM file of the CAs an https receiver's certificate must chain to, instead of the system's.
    public var webhookCA: String?
    /// Deliveries under way at once at most.
    public var webhookConcurrency = 4
    /// Keys required for PATCHes that set the operator fields; nil requires none.
    public var apiKeysFile: String?
    /// `N/s` (or `N`): requests per second per client on the dimension and admin routes; nil limits nothing.
    public var rateLimit: String?
    /// Requests a client may make at once; nil: the rate's N.
    public var rateBurst: Double?
    public var rateLimitClients = 100_000
    public var gzipMinimumBytes = engineDefaults.gzipMinimumBytes
    public var logLevel: LogLevel = .info
    public var accessLog = true

    public init() {}

    /// The plain-HTTP addresses served: none with `noHTTP`.
    var plainAddresses: [String] { noHTTP ? [] : http }

    private static func seconds(_ milliseconds: Int64) -> Double { Double(milliseconds) / 1000 }
}
