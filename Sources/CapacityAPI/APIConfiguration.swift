import Scaling

/// What the API's routes need to know of the configuration.
public struct APIConfiguration: Sendable {
    public var mode: ScalingMode
    /// Whether an unknown id is created on first use (the old sample's behaviour) or is a 404.
    public var autoCreate: Bool
    public var defaults: DimensionDefaults
    /// The largest capacity a request may set (`--max-capacity`).
    public var maxCapacity: Double
    /// The dimensions API answers only clients with a trusted certificate (`--client-cert optional|required`).
    public var dimensionsNeedClientCertificate: Bool
    /// Where `certbot certonly --webroot -w DIR` puts HTTP-01 challenge files; nil serves none.
    public var acmeWebroot: String?
    /// The longest a long-poll waits (`--max-wait`), whatever its `Prefer: wait` asks.
    public var maxWaitSeconds: Int

    public init(mode: ScalingMode = .demo, autoCreate: Bool = true, defaults: DimensionDefaults = DimensionDefaults(),
                maxCapacity: Double = DimensionUpdate.defaultMaxCapacity, dimensionsNeedClientCertificate: Bool = false,
                acmeWebroot: String? = nil, maxWaitSeconds: Int = 60) {
        self.mode = mode
        self.autoCreate = autoCreate
        self.defaults = defaults
        self.maxCapacity = maxCapacity
        self.dimensionsNeedClientCertificate = dimensionsNeedClientCertificate
        self.acmeWebroot = acmeWebroot
        self.maxWaitSeconds = maxWaitSeconds
    }

    /// What an unknown id starts as; nil when it is not created.
    var creation: DimensionDefaults? { autoCreate ? defaults : nil }
}
