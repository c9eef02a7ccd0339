import ACME
import Configuration
import HTTPServer
import Scaling
import StoreFactory
import Webhooks

/// The cross-option rules, checked before anything starts. They name settings by field (`InvalidSetting`); the
/// executable calls each field by its flag.
extension ServiceSettings {
    /// The settings, for the messages of `validate()`; a store's are `store`'s.
    public enum Field: Sendable {
        case http, https, metricsListen, tlsCertificates, tlsKeys, clientTrustFile, clientCertificateMode, clientVerifyDepth
        case acmeDomains, acmeEmail, acmeDirectory, acmeStaging, acmeCARoot, redirectHTTP
        case headerTimeout, bodyTimeout, idleTimeout, writeTimeout, shutdownGrace, maxWait, maxWaiting
        case webhookURLs, webhookSecret, webhookSecretFile, webhookTimeout, webhookRetrySchedule, webhookCA, webhookConcurrency
        case maxConnections, maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, maxBodyBytes, gzipMinimumBytes
        case eventLoops, maxCapacity, defaultCapacity, migrate, rateLimit, rateBurst, rateLimitClients
        case store(StoreSelection.Field)
    }

    /// The cross-option rules; the first broken one.
    public func validate() throws(InvalidSetting<Field>) {
        // The store's rules first: its options are read first.
        do {
            try store.validate()
        } catch {
            throw error.map(Field.store)
        }
        for (field, addresses) in [(Field.http, http), (.https, https), (.metricsListen, metricsListen.map { [$0] } ?? [])] {
            for address in addresses {
                do {
                    _ = try SocketAddress(parsing: address)
                } catch {
                    throw "\(field) \(error.description)"
                }
            }
        }
        func check(_ rule: Bool, _ problem: InvalidSetting<Field>) throws(InvalidSetting<Field>) {
            if !rule { throw problem }
        }
        try check(!plainAddresses.isEmpty || !https.isEmpty, "nothing to listen on: give \(.http) or \(.https)")
        try check(tlsCertificates.count == tlsKeys.count,
                  "\(.tlsCertificates) and \(.tlsKeys) come in pairs: \(tlsCertificates.count) certificates, \(tlsKeys.count) keys")
        try check(https.isEmpty || !tlsCertificates.isEmpty || !acmeDomains.isEmpty,
                  "\(.https) needs \(.tlsCertificates) and \(.tlsKeys), or \(.acmeDomains)")
        for name in acmeDomains {
            if let problem = ACMEManager.Settings.problem(withName: name) { throw "\(.acmeDomains) \(problem)" }
        }
        try check(acmeDomains.isEmpty || (!https.isEmpty && !plainAddresses.isEmpty),
                  "\(.acmeDomains) needs \(.https), and an \(.http) listener where the CA fetches the HTTP-01 challenge (port 80)")
        try check(!acmeDomains.isEmpty || (acmeEmail == nil && acmeDirectory == nil && !acmeStaging && acmeCARoot == nil),
                  "\(.acmeEmail), \(.acmeDirectory), \(.acmeStaging) and \(.acmeCARoot) are used only with \(.acmeDomains)")
        try check(acmeDirectory == nil || !acmeStaging, "\(.acmeStaging) and \(.acmeDirectory) exclude each other")
        if let directory = acmeDirectory {
            try check(directory.hasPrefix("https://"), "\(.acmeDirectory) must be an https URL")
        }
        try check(!https.isEmpty || tlsCertificates.isEmpty, "\(.tlsCertificates) and \(.tlsKeys) are used only with \(.https)")
        try check(clientCertificateMode == .off || (!https.isEmpty && clientTrustFile != nil),
                  "\(.clientCertificateMode) \(clientCertificateMode.rawValue) needs \(.https) and \(.clientTrustFile)")
        try check(clientCertificateMode != .off || clientTrustFile == nil,
                  "\(.clientTrustFile) is used only with \(.clientCertificateMode) optional or required")
        try check(!redirectHTTP || (!https.isEmpty && !plainAddresses.isEmpty),
                  "\(.redirectHTTP) needs both \(.http) and \(.https) addresses")
        try check((0...16).contains(clientVerifyDepth), "\(.clientVerifyDepth) must be 0 to 16")
        for (field, value) in [(Field.headerTimeout, headerTimeout), (.bodyTimeout, bodyTimeout), (.idleTimeout, idleTimeout),
                               (.writeTimeout, writeTimeout), (.shutdownGrace, shutdownGrace)] {
            try check(value > 0 && value <= 86400, "\(field) must be between 0 and 86400 seconds")
        }
        for (field, value) in [(Field.maxConnections, maxConnections), (.maxRequestLineBytes, maxRequestLineBytes),
                               (.maxHeaderBytes, maxHeaderBytes), (.maxHeaderCount, maxHeaderCount), (.maxBodyBytes, maxBodyBytes)] {
            try check(value >= 1, "\(field) must be at least 1")
        }
        try check(maxWait >= 1 && maxWait <= 86400, "\(.maxWait) must be between 1 and 86400 seconds")
        try check(maxWaiting >= 0, "\(.maxWaiting) must be 0 or more")
        for (index, url) in webhookURLs.enumerated() {
            try check(!webhookURLs[..<index].contains(url), "\(.webhookURLs) \(url) is given twice")
            do {
                _ = try WebhookEndpoint(url)
            } catch {
                throw "\(.webhookURLs) \(url): \(error.description)"
            }
        }
        let webhookOptionsGiven = webhookSecret != nil || webhookSecretFile != nil || webhookRetrySchedule != nil || webhookCA != nil
        try check(!webhookURLs.isEmpty || !webhookOptionsGiven,
                  "\(.webhookSecret), \(.webhookSecretFile), \(.webhookRetrySchedule) and \(.webhookCA) are used only with \(.webhookURLs)")
        try check(webhookURLs.isEmpty || (webhookSecret == nil) != (webhookSecretFile == nil),
                  "\(.webhookURLs) needs one of \(.webhookSecret) and \(.webhookSecretFile): deliveries are signed")
        if let secret = webhookSecret {
            do {
                _ = try WebhookSecret(secret)
            } catch {
                throw "\(.webhookSecret): \(error.description)"
            }
        }
        if let schedule = webhookRetrySchedule {
            do {
                _ = try RetrySchedule(schedule)
            } catch {
                throw "\(.webhookRetrySchedule): \(error.description)"
            }
        }
        try check(webhookTimeout >= 0.1 && webhookTimeout <= 600, "\(.webhookTimeout) must be between 0.1 and 600 seconds")
        try check((1...64).contains(webhookConcurrency), "\(.webhookConcurrency) must be 1 to 64")
        try check(gzipMinimumBytes >= 0, "\(.gzipMinimumBytes) must be 0 or more")
        try check(eventLoops.map { (1...256).contains($0) } ?? true, "\(.eventLoops) must be 1 to 256")
        try check(maxCapacity.isFinite && maxCapacity >= 0, "\(.maxCapacity) must be a number >= 0")
        try check(defaults.capacity.isFinite && defaults.capacity >= 0 && defaults.capacity <= maxCapacity,
                  "\(.defaultCapacity) must be from 0 to \(.maxCapacity) (\(DimensionUpdate.describe(maxCapacity)))")
        try check(!migrate || store.databaseURL != nil, "\(.migrate) needs \(.store(.databaseURL))")
        if let rateLimit {
            try check(Self.perSecond(rateLimit) != nil, "\(.rateLimit) must be requests per second, such as 50/s (more than 0)")
        }
        try check(rateBurst.map { $0.isFinite && $0 >= 1 } ?? true, "\(.rateBurst) must be 1 or more")
        try check(rateBurst == nil || rateLimit != nil, "\(.rateBurst) is used only with \(.rateLimit)")
        try check(rateLimitClients >= 1, "\(.rateLimitClients) must be 1 or more")
    }

    /// `50/s` or `50` → 50; nil for anything else or a rate that is not positive.
    static func perSecond(_ text: String) -> Double? {
        let number = text.hasSuffix("/s") ? String(text.dropLast(2)) : text
        guard let value = Double(number), value.isFinite, value > 0 else { return nil }
        return value
    }
}
