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
    /// Event loops, limits and timeouts.
    public var server: ServerConfiguration
    public var mode: ScalingMode
    public var stateDirectory: String
    /// Where the dimensions are kept (today the file store in `stateDirectory`).
    public var store: StoreLocation
    public var logDirectory: String
    /// Whether an unknown id is created on first use (the old sample's behaviour) or is a 404.
    public var autoCreate: Bool
    public var defaults: DimensionDefaults
    public var accessLog: Bool
    /// Certificates for the HTTPS listeners and the client-certificate policy; nil without HTTPS.
    public var tls: TLSConfiguration?
    /// Where `certbot certonly --webroot -w DIR` puts HTTP-01 challenge files; nil serves none.
    public var acmeWebroot: String?
    /// Answer plain-HTTP requests (but ACME challenges) with a redirect to the first HTTPS listener.
    public var redirectHTTP: Bool
    /// Keys required for PATCHes that set the operator fields; nil requires none.
    public var apiKeysFile: String?
    public var logLevel: LogLevel

    public init(httpAddresses: [SocketAddress], httpsAddresses: [SocketAddress] = [],
                server: ServerConfiguration = ServerConfiguration(), mode: ScalingMode = .demo, stateDirectory: String = "./var",
                logDirectory: String? = nil, autoCreate: Bool = true, defaults: DimensionDefaults = DimensionDefaults(),
                accessLog: Bool = true, tls: TLSConfiguration? = nil, acmeWebroot: String? = nil,
                redirectHTTP: Bool = false, apiKeysFile: String? = nil, logLevel: LogLevel = .info) {
        self.httpAddresses = httpAddresses
        self.httpsAddresses = httpsAddresses
        self.server = server
        self.mode = mode
        self.stateDirectory = stateDirectory
        self.store = .file(directory: stateDirectory)
        self.logDirectory = logDirectory ?? stateDirectory + "/log"
        self.autoCreate = autoCreate
        self.defaults = defaults
        self.accessLog = accessLog
        self.tls = tls
        self.acmeWebroot = acmeWebroot
        self.redirectHTTP = redirectHTTP
        self.apiKeysFile = apiKeysFile
        self.logLevel = logLevel
    }

    /// With client certificates on, the dimensions API answers only clients that presented a verified one (the
    /// old sample's Apache `<Location>` rule), while `/time` and the ACME challenges stay open.
    var dimensionsNeedClientCertificate: Bool {
        (tls?.clientCertificateMode ?? .off) != .off
    }

    /// The dimension a request acts on: the stored one, or a new one with the defaults if auto-creation is on.
    func existing(_ current: Dimension?, id: DimensionID) throws(ScalingError) -> Dimension {
        if let current { return current }
        guard autoCreate else { throw .notFound(id) }
        return defaults.makeDimension(id: id)
    }
}
