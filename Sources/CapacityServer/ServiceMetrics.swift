import ACME
import CapacityAPI
import StoreContract
import HTTPServer
import Metrics
import Scaling
import SystemIO
import TLS
import WebhookDelivery

/// Counts every request by route, method and status, with a latency histogram per route, and renders
/// `GET /metrics` in the Prometheus text format together with the server's, the store's and the certificates'
/// figures. Routes are the API's patterns, never raw paths, so a scanner cannot make the label set grow.
final class ServiceMetrics: RequestObserver, MetricsExposition {
    static let methods = ["GET", "HEAD", "PATCH", "POST", "PUT", "DELETE", "OPTIONS", "other"]

    private struct Counts {
        /// The routes' paths of each listener's table, by listener name, with the label index of each route: a
        /// request is labelled with the pattern of the route that served it, so every route is counted under the
        /// pattern it was declared with. Paths, not tables: the tables' `/metrics` handler holds this object.
        var listeners: [(name: String, paths: RoutePaths, labels: [Int])] = []
        /// Label values by index: every table's patterns once each, then `other`. The per-request work is a few
        /// byte comparisons and integer-keyed counting.
        var routes = ["other"]
        /// Counts by route index × method index, then by status − 100: flat arrays, as a dictionary's hashing cost
        /// more than the rest of the counting (callgrind). A pair's statuses are allocated when it is first seen.
        var requests: [[UInt64]] = Array(repeating: [], count: ServiceMetrics.methods.count)
        var latency = [Histogram()]

        mutating func count(route: Int, method: Int, status: Int) {
            let pair = route * ServiceMetrics.methods.count + method
            if requests[pair].isEmpty { requests[pair] = Array(repeating: 0, count: 500) }
            // Every status a response can carry is 100–599 (RFC 9110 §15).
            requests[pair][min(max(status, 100), 599) - 100] += 1
        }

        func routeIndex(_ record: AccessRecord) -> Int {
            // By index: a copy of a listener's entry would retain and release each of its arrays.
            guard let listener = listeners.indices.first(where: { listeners[$0].name == record.listener }),
                  // The route table tags what it routed with the route's index; what it did not see (the engine's
                  // own refusals) is matched by its target.
                  let index = record.responderTag ?? listeners[listener].paths.routeIndex(ofTarget: record.target),
                  listeners[listener].labels.indices.contains(index)
            else { return routes.count - 1 }
            return listeners[listener].labels[index]
        }
    }

    private let counts = Locked(Counts())
    private let store: DimensionStore
    private let tls: ReloadableTLSContext?
    private let rateLimiter: RateLimiter?
    private let waiters: DimensionWaiters?
    private let dispatcher: WebhookDispatcher?
    private let acme: ACMEManager?
    /// Weak: the server holds this object as its observer.
    private struct ServerReference {
        weak var value: HTTPServer?
    }

    private let server = Locked(ServerReference())

    init(store: DimensionStore, tls: ReloadableTLSContext?, rateLimiter: RateLimiter? = nil, acme: ACMEManager? = nil,
         waiters: DimensionWaiters? = nil, dispatcher: WebhookDispatcher? = nil) {
        self.waiters = waiters
        self.dispatcher = dispatcher
        self.acme = acme
        self.store = store
        self.tls = tls
        self.rateLimiter = rateLimiter
    }

    /// The listeners' tables by listener name, once they are built (they need this object to render `/metrics`).
    func label(_ tables: [(listener: String, table: RouteTable)]) {
        var patterns: [String] = []
        for (_, table) in tables {
            for pattern in table.paths.patterns where !patterns.contains(pattern) { patterns.append(pattern) }
        }
        let labelled = tables.map { listener, table in
            (name: listener, paths: table.paths, labels: table.paths.patterns.map { patterns.firstIndex(of: $0)! })
        }
        counts.withLock { counts in
            counts.listeners = labelled
            counts.routes = patterns + ["other"]
            counts.requests = Array(repeating: [], count: counts.routes.count * Self.methods.count)
            counts.latency = Array(repeating: Histogram(), count: patterns.count + 1)
        }
    }

    func attach(_ server: HTTPServer) {
        self.server.withLock { $0.value = server }
    }

    func observe(_ record: AccessRecord) {
        let method = Self.methodIndex(record.method)
        let seconds = Double(record.durationMicroseconds) / 1_000_000
        counts.withLock { counts in
            let route = counts.routeIndex(record)
            counts.count(route: route, method: method, status: record.status)
            counts.latency[route].observe(seconds)
        }
    }

    private static func methodIndex(_ name: String) -> Int {
        methods.firstIndex(of: name) ?? methods.count - 1
    }

    /// The whole exposition, as of now; `dimensions` is what the store holds (counted by status unless the store
    /// could not be read).
    func render(now epochSeconds: Int, dimensions: Result<[Dimension], StoreError>) -> String {
        var out = PrometheusText()
        let snapshot = counts.withLock { $0 }
        let routes = snapshot.routes
        out.family("capacityd_http_requests_total", type: "counter", help: "HTTP requests answered, by route, method and status.")
        for (pair, statuses) in snapshot.requests.enumerated() {
            for (slot, value) in statuses.enumerated() where value > 0 {
                out.sample("capacityd_http_requests_total",
                           [("route", routes[pair / Self.methods.count]), ("method", Self.methods[pair % Self.methods.count]),
                            ("status", String(slot + 100))], Double(value))
            }
        }
        out.family("capacityd_http_request_duration_seconds", type: "histogram",
                   help: "Time from a request's parse to its response, by route.")
        for (index, histogram) in snapshot.latency.enumerated() where histogram.count > 0 {
            out.histogram("capacityd_http_request_duration_seconds", [("route", routes[index])], histogram)
        }
        if let statistics = server.withLock({ $0.value?.statistics }) {
            out.single("capacityd_open_connections", type: "gauge", help: "Client connections open now.",
                       Double(statistics.openConnections))
            out.single("capacityd_tls_handshakes_total", type: "counter", help: "TLS handshakes completed.",
                       Double(statistics.tlsHandshakes))
            out.single("capacityd_tls_handshake_failures_total", type: "counter",
                       help: "TLS handshakes that failed (protocol, cipher or client certificate refused).",
                       Double(statistics.tlsHandshakeFailures))
        }
        if case .success(let dimensions) = dimensions {
            var byStatus: [ScalingStatus: Int] = [:]
            for dimension in dimensions { byStatus[dimension.scalingStatus, default: 0] += 1 }
            out.family("capacityd_dimensions", type: "gauge", help: "Dimensions in the store, by scaling status.")
            for status in [ScalingStatus.pending, .inProgress, .successful, .failed] {
                out.sample("capacityd_dimensions", [("status", status.rawValue)], Double(byStatus[status] ?? 0))
            }
        }
        Self.render(store.health.figures, into: &out)
        if let figures = rateLimiter?.figures {
            out.single("capacityd_rate_limited_total", type: "counter",
                       help: "Requests refused with 429 because their client was over --rate-limit.", Double(figures.limited))
            out.single("capacityd_rate_limit_clients", type: "gauge",
                       help: "Clients whose rate is being tracked now (at most --rate-limit-clients).", Double(figures.clients))
        }
        if let waiters {
            out.single("capacityd_long_polls_waiting", type: "gauge",
                       help: "Long-polls (If-None-Match with Prefer: wait) waiting now, at most --max-waiting.", Double(waiters.count))
        }
        if let dispatcher, let outbox = store.outbox?.outboxFigures(now: Int64(epochSeconds) * 1000) {
            let figures = dispatcher.figures
            out.family("capacityd_webhook_attempts_total", type: "counter",
                       help: "Webhook delivery attempts since start, by result: delivered (2xx), failed (retried later), dropped (the schedule's last).")
            out.sample("capacityd_webhook_attempts_total", [("result", "delivered")], Double(figures.delivered))
            out.sample("capacityd_webhook_attempts_total", [("result", "failed")], Double(figures.failed))
            out.sample("capacityd_webhook_attempts_total", [("result", "dropped")], Double(figures.dropped))
            out.single("capacityd_webhook_events_pending", type: "gauge",
                       help: "Webhook events not yet delivered nor dropped.", Double(outbox.pending))
            out.single("capacityd_webhook_oldest_pending_seconds", type: "gauge",
                       help: "Age of the oldest pending webhook event (0: none): alert on it, a receiver is down.",
                       Double(outbox.oldestPendingAgeMilliseconds) / 1000)
            out.single("capacityd_webhook_events_dropped", type: "gauge",
                       help: "Webhook events dropped after the last attempt of the schedule, kept until sent again.",
                       Double(outbox.dropped))
        }
        if let certificates = tls?.current.certificates {
            out.family("capacityd_certificate_days_left", type: "gauge",
                       help: "Whole days until each certificate expires (negative once expired).")
            for certificate in certificates {
                out.sample("capacityd_certificate_days_left",
                           [("role", certificate.role), ("subject", certificate.subject), ("sha256", certificate.fingerprint)],
                           Double(certificate.daysLeft(atEpochSeconds: epochSeconds)))
            }
        }
        if let status = acme?.currentStatus {
            out.family("capacityd_acme_orders_total", type: "counter", help: "Certificate orders of the ACME client, by result.")
            out.sample("capacityd_acme_orders_total", [("result", "issued")], Double(status.issued))
            out.sample("capacityd_acme_orders_total", [("result", "failed")], Double(status.failed))
            if let error = status.lastError {
                out.family("capacityd_acme_last_error", type: "gauge",
                           help: "1 while the ACME client's last order failed; the message says why.")
                out.sample("capacityd_acme_last_error", [("message", String(error.prefix(300)))], 1)
            }
        }
        return out.text
    }
}
