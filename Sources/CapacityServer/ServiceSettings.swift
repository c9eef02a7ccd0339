import ACME
import CapacityAPI
import HTTP1
import HTTPServer
import Scaling
import Stores
import TLS

/// Everything `capacityd serve` can be told, validated: the engine's configuration plus the service's own.
public struct ServiceSettings: Sendable {
    /// Plain-HTTP and HTTPS addresses of the API.
    public var httpAddresses: [SocketAddress]
    public var httpsAddresses: [SocketAddress]
    /// `--metrics-listen`: a plain-HTTP listener for `/metrics`, `/healthz` and `/readyz` only; with it the API's
    /// listeners no longer serve `/metrics`.
    public var metricsAddress: SocketAddress?
    /// Event loops, limits and timeouts.
    public var server: ServerConfiguration
    public var mode: ScalingMode
    public var stateDirectory: String
    /// Where the dimensions are kept: the file store in `stateDirectory` unless a database is given.
    public var store: StoreLocation
    /// Migrate the database's schema before serving.
    public var migrate: Bool
    public var logDirectory: String
    /// Whether an unknown id is created on first use (the old sample's behaviour) or is a 404.
    public var autoCreate: Bool
    public var defaults: DimensionDefaults
    /// The largest capacity a request may set.
    public var maxCapacity: Double
    public var accessLog: Bool
    /// Certificates for the HTTPS listeners and the client-certificate policy; nil without HTTPS.
    public var tls: TLSConfiguration?
    /// Where `certbot certonly --webroot -w DIR` puts HTTP-01 challenge files; nil serves none.
    public var acmeWebroot: String?
    /// `--acme-domain`: capacityd obtains and renews a certificate for these names itself; nil without.
    public var acme: ACMEManager.Settings?
    /// Answer plain-HTTP requests (but ACME challenges and health probes) with a redirect to the first HTTPS listener.
    public var redirectHTTP: Bool
    /// Keys required for PATCHes that set the operator fields; nil requires none.
    public var apiKeysFile: String?
    /// Requests per client on the dimension and admin routes; nil limits nothing.
    public var rateLimit: RateLimiter.Settings?
    public var logLevel: LogLevel
    /// Why `server.eventLoops` is what it is, for the start-up line: `--event-loops`, or the CPU budget.
    public var eventLoopsReason: String

    public init(httpAddresses: [SocketAddress], httpsAddresses: [SocketAddress] = [], metricsAddress: SocketAddress? = nil,
                server: ServerConfiguration = ServerConfiguration(), mode: ScalingMode = .demo,
                stateDirectory: String = "./var", store: StoreLocation? = nil, migrate: Bool = false, logDirectory: String? = nil, autoCreate: Bool = true,
                defaults: DimensionDefaults = DimensionDefaults(), maxCapacity: Double = DimensionUpdate.defaultMaxCapacity,
                accessLog: Bool = true, tls: TLSConfiguration? = nil,
                acmeWebroot: String? = nil, acme: ACMEManager.Settings? = nil, redirectHTTP: Bool = false, apiKeysFile: String? = nil,
                rateLimit: RateLimiter.Settings? = nil, logLevel: LogLevel = .info, eventLoopsReason: String = "--event-loops") {
        self.eventLoopsReason = eventLoopsReason
        self.rateLimit = rateLimit
        self.httpAddresses = httpAddresses
        self.httpsAddresses = httpsAddresses
        self.metricsAddress = metricsAddress
        self.server = server
        self.mode = mode
        self.stateDirectory = stateDirectory
        self.store = store ?? .file(directory: stateDirectory)
        self.migrate = migrate
        self.logDirectory = logDirectory ?? stateDirectory + "/log"
        self.autoCreate = autoCreate
        self.defaults = defaults
        self.maxCapacity = maxCapacity
        self.accessLog = accessLog
        self.tls = tls
        self.acmeWebroot = acmeWebroot
        self.acme = acme
        self.redirectHTTP = redirectHTTP
        self.apiKeysFile = apiKeysFile
        self.logLevel = logLevel
    }

    /// What the API's routes need of these settings.
    var api: APIConfiguration {
        APIConfiguration(mode: mode, autoCreate: autoCreate, defaults: defaults, maxCapacity: maxCapacity,
                         dimensionsNeedClientCertificate: (tls?.clientCertificateMode ?? .off) != .off,
                         acmeWebroot: acmeWebroot)
    }
}
