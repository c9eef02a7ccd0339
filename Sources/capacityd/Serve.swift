import ArgumentParser
import CapacityServer
import HTTP1
import HTTPServer
import Scaling

extension ScalingMode: ExpressibleByArgument {}

struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("state-dir"), help: "Directory of the durable state store (created if missing).")
    var stateDirectory = "./var"
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server.")

    @Option(name: .customLong("http"), help: "Address to serve plain HTTP on, e.g. 127.0.0.1:8080 or [::1]:8080. Repeat for more.")
    var http: [String] = ["127.0.0.1:8080"]

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

    @Flag(name: .customLong("no-access-log"), help: "Do not write the JSON access log to stdout.")
    var noAccessLog = false

    func validate() throws {
        for address in http {
            do {
                _ = try SocketAddress(parsing: address)
            } catch {
                throw ValidationError("--http \(error.description)")
            }
        }
        if http.isEmpty { throw ValidationError("--http: at least one address is needed") }
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
        if let eventLoops, !(1...256).contains(eventLoops) { throw ValidationError("--event-loops must be 1 to 256") }
        if !(defaultCapacity.isFinite && defaultCapacity >= 0) { throw ValidationError("--default-capacity must be >= 0") }
    }

    func run() throws {
        let server = ServerConfiguration(
            listenAddresses: http.map { try! SocketAddress(parsing: $0) },
            eventLoops: eventLoops ?? CPU.count,
            parserLimits: ParserLimits(maxRequestLineBytes: maxRequestLineBytes, maxHeaderBytes: maxHeaderBytes,
                                       maxHeaderCount: maxHeaderCount, maxBodyBytes: maxBodyBytes),
            maxConnections: maxConnections,
            headerTimeoutMilliseconds: Self.milliseconds(headerTimeout),
            bodyTimeoutMilliseconds: Self.milliseconds(bodyTimeout),
            idleTimeoutMilliseconds: Self.milliseconds(idleTimeout),
            writeTimeoutMilliseconds: Self.milliseconds(writeTimeout),
            shutdownGraceMilliseconds: Self.milliseconds(shutdownGrace))
        let settings = ServiceSettings(
            server: server,
            mode: mode,
            stateDirectory: store.stateDirectory,
            logDirectory: logDirectory,
            autoCreate: !noAutoCreate,
            defaults: DimensionDefaults(version: defaultVersion, resourceName: defaultResourceName,
                                        dimensionName: defaultDimensionName, capacity: defaultCapacity),
            accessLog: !noAccessLog)
        do {
            let code = try CapacityService.run(settings)
            throw ExitCode(code)
        } catch let error as CapacityService.StartError {
            throw StartFailure(message: error.description)
        }
    }

    private static func milliseconds(_ seconds: Double) -> Int64 { Int64((seconds * 1000).rounded()) }
}

/// A start-up failure: one line saying what and where, exit code 1.
struct StartFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
