import ArgumentParser
import CapacityServer
import HTTP1
import HTTPServer
import Scaling
import TLS

extension ScalingMode: ExpressibleByArgument {}
extension TLSConfiguration.ClientCertificateMode: ExpressibleByArgument {}
extension LogLevel: ExpressibleByArgument {}

struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("state-dir"), help: "Directory of the durable state store (created if missing).")
    var stateDirectory = "./var"
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server.")

    @OptionGroup var options: ServeOptions

    func run() throws {
        do {
            let code = try CapacityService.run(options.settings)
            throw ExitCode(code)
        } catch let error as CapacityService.StartError {
            throw StartFailure(message: error.description)
        }
    }
}

/// Every setting of the server; `serve` runs with them and `check-config` checks them.
struct ServeOptions: ParsableArguments {
    @Option(name: .customLong("http"), help: "Address to serve plain HTTP on, e.g. 127.0.0.1:8080 or [::1]:8080. Repeat for more.")
    var http: [String] = ["127.0.0.1:8080"]

    @Flag(name: .customLong("no-http"), help: "Serve no plain HTTP at all (HTTPS only).")
    var noHTTP = false

    @Option(name: .customLong("https"), help: "Address to serve HTTPS on, e.g. 0.0.0.0:8443. Repeat for more. Needs --tls-cert and --tls-key.")
    var https: [String] = []

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain for HTTPS: the server certificate, then its intermediates.")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key (RSA or ECDSA) of the --tls-cert certificate.")
    var tlsKey: String?

    @Option(name: .customLong("client-ca"), help: "PEM file of trusted client certificates (API Gateway's) or CAs.")
    var clientTrustFile: String?

    @Option(name: .customLong("client-cert"), help: "Client certificates: off, optional (asked for; the dimensions API needs one) or required (the handshake fails without one).")
    var clientCertificateMode: TLSConfiguration.ClientCertificateMode = .off

    @Option(name: .customLong("client-verify-depth"), help: "Certificates allowed above a client certificate in its chain.")
    var clientVerifyDepth = 1

    @Option(name: .customLong("acme-webroot"), help: "Serve ACME HTTP-01 challenges from DIR/.well-known/acme-challenge (certbot --webroot -w DIR).")
    var acmeWebroot: String?

    @Flag(name: .customLong("redirect-http"), help: "Redirect plain-HTTP requests (but ACME challenges) to the first --https address.")
    var redirectHTTP = false

    @Option(help: "How dimensions move between statuses (see the README).")
    var mode: ScalingMode = .demo

    @OptionGroup var store: StoreOptions

    @Option(name: .customLong("log-dir"), help: "Directory of the api-YYYYMMDD transition logs (default: STATE_DIR/log).")
    var logDirectory: String?

    @Flag(name: .customLong("no-auto-create"), help: "Answer 404 for an unknown id instead of creating it with the defaults.")
    var noAutoCreate = false

    @Option(name: .customLong("default-version"), help: "version of a dimension created on first use.")
    var defaultVersion = "MyVersion"

    @Option(name: .customLong("default-resource-name"), help: "resourceName of a dimension created on first use.")
    var defaultResourceName = "MyService"

    @Option(name: .customLong("default-dimension-name"), help: "dimensionName of a dimension created on first use.")
    var defaultDimensionName = "MyDimension"

    @Option(name: .customLong("default-capacity"), help: "Actual and desired capacity of a dimension created on first use.")
    var defaultCapacity = 1.0

    @Option(name: .customLong("event-loops"), help: "Event loop threads (default: one per CPU core).")
    var eventLoops: Int?

    @Option(name: .customLong("max-connections"), help: "Open connections at most; more are answered 503 and closed.")
    var maxConnections = 10_000

    @Option(name: .customLong("max-request-line-bytes"), help: "Longest request line (414 past it).")
    var maxRequestLineBytes = 8192

    @Option(name: .customLong("max-header-bytes"), help: "Most bytes of header fields (431 past it).")
    var maxHeaderBytes = 16384

    @Option(name: .customLong("max-header-count"), help: "Most header fields (431 past it).")
    var maxHeaderCount = 64

    @Option(name: .customLong("max-body-bytes"), help: "Largest request body (413 past it, before it is read).")
    var maxBodyBytes = 65536

    @Option(name: .customLong("header-timeout"), help: "Seconds to receive a request's head, from its first byte (408 after).")
    var headerTimeout = 10.0

    @Option(name: .customLong("body-timeout"), help: "Seconds to receive a request's body once its head is in (408 after).")
    var bodyTimeout = 10.0

    @Option(name: .customLong("idle-timeout"), help: "Seconds a keep-alive connection may wait for its next request.")
    var idleTimeout = 60.0

    @Option(name: .customLong("write-timeout"), help: "Seconds a response may wait for a client that does not read it.")
    var writeTimeout = 10.0

    @Option(name: .customLong("shutdown-grace"), help: "Seconds in-flight requests get after SIGTERM before connections are cut.")
    var shutdownGrace = 10.0

    @Option(name: .customLong("api-keys"), help: "File of keys (one per line, or sha256:HEX) required to PATCH actualCapacity, scalingStatus or failureReason.")
    var apiKeysFile: String?

    @Option(name: .customLong("gzip-min-bytes"), help: "Smallest JSON or text response body to gzip when the client accepts it (0: never).")
    var gzipMinimumBytes = 1024

    @Option(name: .customLong("log-level"), help: "debug, info, warning or error: stderr messages at or above it; the access log records every request at info, only 4xx/5xx at warning, only 5xx at error.")
    var logLevel: LogLevel = .info

    @Flag(name: .customLong("no-access-log"), help: "Do not write the JSON access log to stdout.")
    var noAccessLog = false

    func validate() throws {
        for (option, addresses) in [("--http", http), ("--https", https)] {
            for address in addresses {
                do {
                    _ = try SocketAddress(parsing: address)
                } catch {
                    throw ValidationError("\(option) \(error.description)")
                }
            }
        }
        if plainAddresses.isEmpty && https.isEmpty { throw ValidationError("nothing to listen on: give --http or --https") }
        if !https.isEmpty && (tlsCertificate == nil || tlsKey == nil) {
            throw ValidationError("--https needs --tls-cert and --tls-key")
        }
        if https.isEmpty && (tlsCertificate != nil || tlsKey != nil) {
            throw ValidationError("--tls-cert and --tls-key are used only with --https")
        }
        if clientCertificateMode != .off && (https.isEmpty || clientTrustFile == nil) {
            throw ValidationError("--client-cert \(clientCertificateMode.rawValue) needs --https and --client-ca")
        }
        if clientCertificateMode == .off && clientTrustFile != nil {
            throw ValidationError("--client-ca is used only with --client-cert optional or required")
        }
        if redirectHTTP && (https.isEmpty || plainAddresses.isEmpty) {
            throw ValidationError("--redirect-http needs both --http and --https addresses")
        }
        if !(0...16).contains(clientVerifyDepth) { throw ValidationError("--client-verify-depth must be 0 to 16") }
        for (name, value) in [("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout),
                              ("--idle-timeout", idleTimeout), ("--write-timeout", writeTimeout),
                              ("--shutdown-grace", shutdownGrace)] where !(value > 0 && value <= 86400) {
            throw ValidationError("\(name) must be between 0 and 86400 seconds")
        }
        for (name, value) in [("--max-connections", maxConnections), ("--max-request-line-bytes", maxRequestLineBytes),
                              ("--max-header-bytes", maxHeaderBytes), ("--max-header-count", maxHeaderCount),
                              ("--max-body-bytes", maxBodyBytes)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        if gzipMinimumBytes < 0 { throw ValidationError("--gzip-min-bytes must be 0 or more") }
        if let eventLoops, !(1...256).contains(eventLoops) { throw ValidationError("--event-loops must be 1 to 256") }
        if !(defaultCapacity.isFinite && defaultCapacity >= 0) { throw ValidationError("--default-capacity must be >= 0") }
    }

    private var plainAddresses: [String] { noHTTP ? [] : http }

    /// The validated options as the service's settings.
    var settings: ServiceSettings {
        let server = ServerConfiguration(
            eventLoops: eventLoops ?? CPU.count,
            parserLimits: ParserLimits(maxRequestLineBytes: maxRequestLineBytes, maxHeaderBytes: maxHeaderBytes,
                                       maxHeaderCount: maxHeaderCount, maxBodyBytes: maxBodyBytes),
            maxConnections: maxConnections,
            headerTimeoutMilliseconds: Self.milliseconds(headerTimeout),
            bodyTimeoutMilliseconds: Self.milliseconds(bodyTimeout),
            idleTimeoutMilliseconds: Self.milliseconds(idleTimeout),
            writeTimeoutMilliseconds: Self.milliseconds(writeTimeout),
            shutdownGraceMilliseconds: Self.milliseconds(shutdownGrace),
            gzipMinimumBytes: gzipMinimumBytes)
        return ServiceSettings(
            httpAddresses: plainAddresses.map { try! SocketAddress(parsing: $0) },
            httpsAddresses: https.map { try! SocketAddress(parsing: $0) },
            server: server,
            mode: mode,
            stateDirectory: store.stateDirectory,
            logDirectory: logDirectory,
            autoCreate: !noAutoCreate,
            defaults: DimensionDefaults(version: defaultVersion, resourceName: defaultResourceName,
                                        dimensionName: defaultDimensionName, capacity: defaultCapacity),
            accessLog: !noAccessLog,
            tls: https.isEmpty ? nil : TLSConfiguration(
                certificateChainFile: tlsCertificate ?? "", privateKeyFile: tlsKey ?? "",
                clientTrustFile: clientTrustFile, clientCertificateMode: clientCertificateMode,
                clientVerifyDepth: clientVerifyDepth),
            acmeWebroot: acmeWebroot,
            redirectHTTP: redirectHTTP,
            apiKeysFile: apiKeysFile,
            logLevel: logLevel)
    }

    private static func milliseconds(_ seconds: Double) -> Int64 { Int64((seconds * 1000).rounded()) }
}

/// A start-up failure: one line saying what and where, exit code 1.
struct StartFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
