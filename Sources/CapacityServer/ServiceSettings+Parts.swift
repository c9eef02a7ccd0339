import ACME
import CapacityAPI
import HTTP1
import HTTPServer
import StoreFactory
import SystemIO
import TLS
import WebhookDelivery
import Webhooks

/// The parts' own configurations, derived from the settings; each is read after `validate()` has passed (the
/// addresses parse then).
extension ServiceSettings {
    var httpAddresses: [SocketAddress] {
        plainAddresses.map { try! SocketAddress(parsing: $0) }
    }

    var httpsAddresses: [SocketAddress] {
        https.map { try! SocketAddress(parsing: $0) }
    }

    var metricsAddress: SocketAddress? {
        metricsListen.map { try! SocketAddress(parsing: $0) }
    }

    /// The webhook dispatcher's configuration, nil without receivers; reads the secret's file. The values passed
    /// `validate()`; what can fail is the file.
    func webhooks() throws(CapacityService.StartError) -> WebhookDispatcher.Configuration? {
        guard !webhookURLs.isEmpty else { return nil }
        var text = webhookSecret ?? ""
        if let path = webhookSecretFile {
            do {
                // The secret is one word: a trailing newline (`echo whsec_… > file`) is not part of it.
                text = String(decoding: try FileSystem.read(path) ?? [], as: UTF8.self)
                    .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).first.map(String.init) ?? ""
            } catch {
                throw CapacityService.StartError(description: "webhook secret file \(path): \(FileSystem.describe(error, at: path))")
            }
        }
        let secret: WebhookSecret
        do {
            secret = try WebhookSecret(text)
        } catch {
            throw CapacityService.StartError(description: "webhook secret\(webhookSecretFile.map { " in " + $0 } ?? ""): \(error.description)")
        }
        var receivers: [String: WebhookEndpoint] = [:]
        for url in webhookURLs { receivers[url] = try? WebhookEndpoint(url) }
        return WebhookDispatcher.Configuration(
            receivers: receivers, secret: secret,
            sender: WebhookSender(timeout: .milliseconds(Self.milliseconds(webhookTimeout)), trustFile: webhookCA),
            schedule: webhookRetrySchedule.flatMap { try? RetrySchedule($0) } ?? .standard,
            concurrency: webhookConcurrency)
    }

    /// Where the api-YYYYMMDD transition logs are written.
    var transitionLogDirectory: String {
        logDirectory ?? store.stateDirectory + "/log"
    }

    /// The event loops, limits and timeouts, and why there are as many loops as there are (`--event-loops`, or
    /// the CPU budget), for the start-up line.
    var engine: (configuration: ServerConfiguration, eventLoopsReason: String) {
        let budget = cpuBudget ?? CPUBudget.current()
        let configuration = ServerConfiguration(
            eventLoops: eventLoops ?? min(budget.cpus, 256),
            parserLimits: ParserLimits(maxRequestLineBytes: maxRequestLineBytes, maxHeaderBytes: maxHeaderBytes,
                                       maxHeaderCount: maxHeaderCount, maxBodyBytes: maxBodyBytes),
            maxConnections: maxConnections,
            headerTimeoutMilliseconds: Self.milliseconds(headerTimeout),
            bodyTimeoutMilliseconds: Self.milliseconds(bodyTimeout),
            idleTimeoutMilliseconds: Self.milliseconds(idleTimeout),
            writeTimeoutMilliseconds: Self.milliseconds(writeTimeout),
            shutdownGraceMilliseconds: Self.milliseconds(shutdownGrace),
            gzipMinimumBytes: gzipMinimumBytes)
        return (configuration, eventLoops == nil ? budget.description : "--event-loops")
    }

    /// Certificates for the HTTPS listeners and the client-certificate policy; nil without HTTPS.
    var tls: TLSConfiguration? {
        guard !https.isEmpty else { return nil }
        return TLSConfiguration(
            certificates: zip(tlsCertificates, tlsKeys).map { TLSConfiguration.CertificateFiles(chainFile: $0, keyFile: $1) }
                + (acme.map { [$0.certificateFiles] } ?? []),
            clientTrustFile: clientTrustFile, clientCertificateMode: clientCertificateMode,
            clientVerifyDepth: clientVerifyDepth)
    }

    /// capacityd's own ACME client for `acmeDomains`; nil without.
    var acme: ACMEManager.Settings? {
        guard !acmeDomains.isEmpty else { return nil }
        return ACMEManager.Settings(
            names: acmeDomains.map { $0.lowercased() }.reduce(into: []) { names, name in
                if !names.contains(name) { names.append(name) }
            }, email: acmeEmail,
            directoryURL: acmeDirectory ?? (acmeStaging ? ACMEManager.Settings.letsEncryptStaging : ACMEManager.Settings.letsEncrypt),
            caRoot: acmeCARoot, storage: store.stateDirectory + "/acme")
    }

    /// Requests per client on the dimension and admin routes; nil limits nothing.
    var rateLimiter: RateLimiter.Settings? {
        rateLimit.flatMap(Self.perSecond).map {
            RateLimiter.Settings(perSecond: $0, burst: rateBurst ?? max(1, $0), maxClients: rateLimitClients)
        }
    }

    /// What the API's routes need.
    var api: APIConfiguration {
        APIConfiguration(mode: mode, autoCreate: autoCreate, defaults: defaults, maxCapacity: maxCapacity,
                         dimensionsNeedClientCertificate: !https.isEmpty && clientCertificateMode != .off,
                         acmeWebroot: acmeWebroot, maxWaitSeconds: longPollSeconds)
    }

    /// `--max-wait`, kept below `--idle-timeout`: a long-poll's connection looks idle to the clients and balancers
    /// in front of it, which close after their own idle timeout, and capacityd's (above theirs by default) is the
    /// bound the deployment already keeps. 0: no long-polls.
    var longPollSeconds: Int {
        max(0, min(maxWait, Int(idleTimeout.rounded(.up)) - 1))
    }

    private static func milliseconds(_ seconds: Double) -> Int64 { Int64((seconds * 1000).rounded()) }
}
