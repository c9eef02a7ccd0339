import HTTP1
import HTTPServer
import Scaling

/// Everything `capacityd serve` can be told, validated.
public struct ServiceSettings: Sendable {
    public var http: [SocketAddress]
    public var mode: ScalingMode
    public var stateDirectory: String
    public var logDirectory: String
    /// Whether an unknown id is created on first use (the old sample's behaviour) or is a 404.
    public var autoCreate: Bool
    public var defaults: DimensionDefaults
    public var eventLoops: Int
    public var parserLimits: ParserLimits
    public var maxConnections: Int
    public var headerTimeoutMilliseconds: Int64
    public var bodyTimeoutMilliseconds: Int64
    public var idleTimeoutMilliseconds: Int64
    public var writeTimeoutMilliseconds: Int64
    public var shutdownGraceMilliseconds: Int64
    public var accessLog: Bool

    public init(http: [SocketAddress], mode: ScalingMode = .demo, stateDirectory: String = "./var",
                logDirectory: String? = nil, autoCreate: Bool = true, defaults: DimensionDefaults = DimensionDefaults(),
                eventLoops: Int = 1, parserLimits: ParserLimits = ParserLimits(), maxConnections: Int = 10_000,
                headerTimeoutMilliseconds: Int64 = 10_000, bodyTimeoutMilliseconds: Int64 = 10_000,
                idleTimeoutMilliseconds: Int64 = 60_000, writeTimeoutMilliseconds: Int64 = 10_000,
                shutdownGraceMilliseconds: Int64 = 10_000, accessLog: Bool = true) {
        self.http = http
        self.mode = mode
        self.stateDirectory = stateDirectory
        self.logDirectory = logDirectory ?? stateDirectory + "/log"
        self.autoCreate = autoCreate
        self.defaults = defaults
        self.eventLoops = eventLoops
        self.parserLimits = parserLimits
        self.maxConnections = maxConnections
        self.headerTimeoutMilliseconds = headerTimeoutMilliseconds
        self.bodyTimeoutMilliseconds = bodyTimeoutMilliseconds
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.writeTimeoutMilliseconds = writeTimeoutMilliseconds
        self.shutdownGraceMilliseconds = shutdownGraceMilliseconds
        self.accessLog = accessLog
    }

    /// The dimension a request acts on: the stored one, or a new one with the defaults if auto-creation is on.
    func existing(_ current: Dimension?, id: DimensionID) throws(ScalingError) -> Dimension {
        if let current { return current }
        guard autoCreate else { throw .notFound(id) }
        return defaults.makeDimension(id: id)
    }

    var serverConfiguration: ServerConfiguration {
        ServerConfiguration(listenAddresses: http, eventLoops: eventLoops, parserLimits: parserLimits,
                            maxConnections: maxConnections, headerTimeoutMilliseconds: headerTimeoutMilliseconds,
                            bodyTimeoutMilliseconds: bodyTimeoutMilliseconds, idleTimeoutMilliseconds: idleTimeoutMilliseconds,
                            writeTimeoutMilliseconds: writeTimeoutMilliseconds,
                            shutdownGraceMilliseconds: shutdownGraceMilliseconds)
    }
}
