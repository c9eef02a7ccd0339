import StoreContract
import HTTP1

/// The route tables capacityd's listeners serve, built from the configuration: to add a route, declare it (its
/// pattern, operations with their OpenAPI text and handlers, policies) and list it here.
public enum APIRoutes {
    /// What the routes work with, made by the server at start-up.
    public struct Dependencies: Sendable {
        public var store: DimensionStore
        public var transitions: TransitionLog
        public var apiKeys: APIKeys?
        /// What `/readyz` answers from, as of now.
        public var readiness: @Sendable () -> Readiness
        /// Renders `/metrics`; nil serves no `/metrics` on these listeners (it has a listener of its own).
        public var metrics: MetricsExposition?
        /// With `--redirect-http`: applied to every plain-HTTP request but ACME challenges and health probes.
        public var redirect: HTTPSRedirect?
        /// With `--rate-limit`: applied to the dimension and admin routes (not to health checks or metrics).
        public var rateLimiter: RateLimiter?
        /// With `--acme-domain`: the key authorization for a token of capacityd's own order in progress.
        public var acmeChallenges: (@Sendable (Substring) -> [UInt8]?)?
        /// The long-polls waiting, woken by the store's observer; nil ignores `Prefer: wait`.
        public var waiters: DimensionWaiters?
        /// Tells the webhook deliveries that an event is due now (an administrator resent one).
        public var eventsDue: @Sendable () -> Void

        public init(store: DimensionStore, transitions: TransitionLog, apiKeys: APIKeys?,
                    readiness: @escaping @Sendable () -> Readiness, metrics: MetricsExposition?,
                    redirect: HTTPSRedirect?, rateLimiter: RateLimiter? = nil,
                    acmeChallenges: (@Sendable (Substring) -> [UInt8]?)? = nil, waiters: DimensionWaiters? = nil,
                    eventsDue: @escaping @Sendable () -> Void = {}) {
            self.eventsDue = eventsDue
            self.waiters = waiters
            self.rateLimiter = rateLimiter
            self.acmeChallenges = acmeChallenges
            self.store = store
            self.transitions = transitions
            self.apiKeys = apiKeys
            self.readiness = readiness
            self.metrics = metrics
            self.redirect = redirect
        }
    }

    /// The API's listeners: the dimensions, `/time`, health, metrics (unless elsewhere), the admin routes (dimensions
    /// and webhook events), ACME challenges (from a webroot or capacityd's own ACME client) and the OpenAPI document
    /// of them all.
    public static func api(_ configuration: APIConfiguration, _ dependencies: Dependencies) -> RouteTable {
        var routes = [
            DimensionRoutes(configuration: configuration, store: dependencies.store,
                            transitions: dependencies.transitions, apiKeys: dependencies.apiKeys,
                            rateLimiter: dependencies.rateLimiter, waiters: dependencies.waiters).route,
            TimeRoute.route,
        ]
        routes += HealthRoutes.routes(readiness: dependencies.readiness)
        if let metrics = dependencies.metrics { routes.append(MetricsRoute.route(store: dependencies.store, exposition: metrics)) }
        let adminPolicies = AdminRoutes.policies(apiKeys: dependencies.apiKeys, rateLimiter: dependencies.rateLimiter)
        routes += AdminRoutes(store: dependencies.store, transitions: dependencies.transitions,
                              defaults: configuration.defaults, maxCapacity: configuration.maxCapacity)
            .routes(policies: adminPolicies)
        routes += WebhookEventRoutes(outbox: dependencies.store.outbox, eventsDue: dependencies.eventsDue)
            .routes(policies: adminPolicies)
        if configuration.acmeWebroot != nil || dependencies.acmeChallenges != nil {
            routes.append(ACMEChallenge.route(webroot: configuration.acmeWebroot, memory: dependencies.acmeChallenges))
        }
        routes.append(OpenAPIDocument.route(documenting: routes, mode: configuration.mode,
                                            maxCapacity: configuration.maxCapacity))
        return RouteTable(routes, listenerPolicies: dependencies.redirect.map { [$0] } ?? [])
    }

    /// `--metrics-listen`: what a load balancer's health check and a Prometheus scrape need, and nothing else.
    public static func metrics(store: DimensionStore, exposition: MetricsExposition,
                               readiness: @escaping @Sendable () -> Readiness) -> RouteTable {
        RouteTable([MetricsRoute.route(store: store, exposition: exposition)] + HealthRoutes.routes(readiness: readiness))
    }
}
