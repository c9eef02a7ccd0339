import CapacityServer
import StoreFactory

/// The flag each setting is given by, for the messages of the layers' checks, which name settings by field: the
/// names of the options tables (`ServeOptions`, `StoreOptions`). A value from the environment was turned into its
/// flag before it was parsed, so its message names the flag too.
enum SettingFlags {
    static func flag(_ field: StoreSelection.Field) -> String {
        switch field {
        case .databaseURL: "--database-url"
        case .databasePool: "--database-pool"
        case .databaseConnectTimeout: "--database-connect-timeout"
        case .databaseStatementTimeout: "--database-statement-timeout"
        case .databaseLockTimeout: "--database-lock-timeout"
        // No option: libpq's own keyword.
        case .databaseKeepaliveIdle: "keepalives_idle"
        }
    }

    static func flag(_ field: ServiceSettings.Field) -> String {
        switch field {
        case .http: "--http"
        case .https: "--https"
        case .metricsListen: "--metrics-listen"
        case .tlsCertificates: "--tls-cert"
        case .tlsKeys: "--tls-key"
        case .clientTrustFile: "--client-ca"
        case .clientCertificateMode: "--client-cert"
        case .clientVerifyDepth: "--client-verify-depth"
        case .acmeDomains: "--acme-domain"
        case .acmeEmail: "--acme-email"
        case .acmeDirectory: "--acme-directory"
        case .acmeStaging: "--acme-staging"
        case .acmeCARoot: "--acme-ca-root"
        case .redirectHTTP: "--redirect-http"
        case .headerTimeout: "--header-timeout"
        case .bodyTimeout: "--body-timeout"
        case .idleTimeout: "--idle-timeout"
        case .writeTimeout: "--write-timeout"
        case .shutdownGrace: "--shutdown-grace"
        case .maxWait: "--max-wait"
        case .maxWaiting: "--max-waiting"
        case .webhookURLs: "--webhook-url"
        case .webhookSecret: "--webhook-secret"
        case .webhookSecretFile: "--webhook-secret-file"
        case .webhookTimeout: "--webhook-timeout"
        case .webhookRetrySchedule: "--webhook-retry-schedule"
        case .webhookCA: "--webhook-ca"
        case .webhookConcurrency: "--webhook-concurrency"
        case .maxConnections: "--max-connections"
        case .maxRequestLineBytes: "--max-request-line-bytes"
        case .maxHeaderBytes: "--max-header-bytes"
        case .maxHeaderCount: "--max-header-count"
        case .maxBodyBytes: "--max-body-bytes"
        case .gzipMinimumBytes: "--gzip-min-bytes"
        case .eventLoops: "--event-loops"
        case .maxCapacity: "--max-capacity"
        case .defaultCapacity: "--default-capacity"
        case .migrate: "--migrate"
        case .rateLimit: "--rate-limit"
        case .rateBurst: "--rate-burst"
        case .rateLimitClients: "--rate-limit-clients"
        case .store(let field): flag(field)
        }
    }
}
