import EventLoop
import Glibc
import HTTP1
import TLS

/// The HTTP/1.1 server: `eventLoops` threads, each with its own epoll instance, listeners and connections.
public final class HTTPServer: @unchecked Sendable {
    public let configuration: ServerConfiguration
    private let responder: HTTPResponder
    private let accessLog: AccessLogFormatter?
    private let observer: RequestObserver?
    private let tls: ReloadableTLSContext?
    private let shared = SharedServerState()
    private var loops: [EventLoop] = []
    private var contexts: [LoopContext] = []
    private var threads: [PosixThread] = []
    /// The addresses actually bound, plain HTTP first, each in the order configured (port 0 resolved).
    public private(set) var boundAddresses: [BoundAddress] = []

    public struct BoundAddress: Sendable, CustomStringConvertible {
        public let address: SocketAddress
        public let isTLS: Bool
        /// `http://127.0.0.1:8080` or `https://[::1]:8443`.
        public var description: String { (isTLS ? "https://" : "http://") + address.description }
    }

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// `tls` is required when the configuration has HTTPS addresses.
    public init(configuration: ServerConfiguration, responder: HTTPResponder, accessLog: AccessLogFormatter? = nil,
                observer: RequestObserver? = nil, tls: ReloadableTLSContext? = nil) {
        self.configuration = configuration
        self.responder = responder
        self.accessLog = accessLog
        self.observer = observer
        self.tls = tls
    }

    /// Binds every address (so a port in use fails here, before anything runs) and starts the loops.
    public func start() throws(StartError) {
        guard configuration.tlsListenAddresses.isEmpty || tls != nil else {
            throw StartError(description: "HTTPS addresses need a TLS context")
        }
        let loopCount = max(1, configuration.eventLoops)
        var listenersPerLoop = Array(repeating: [Listener](), count: loopCount)
        let endpoints = configuration.listenAddresses.map { ($0, nil as ReloadableTLSContext?) }
            + configuration.tlsListenAddresses.map { ($0, tls) }
        for (address, tls) in endpoints {
            do {
                let first = try Listener(address: address, tls: tls, backlog: configuration.backlog)
                boundAddresses.append(BoundAddress(address: first.address, isTLS: tls != nil))
                listenersPerLoop[0].append(first)
                for index in 1..<loopCount {
                    // Port 0 means "any": the other loops must share the port the first one got.
                    listenersPerLoop[index].append(try Listener(address: first.address, tls: tls,
                                                                backlog: configuration.backlog))
                }
            } catch {
                throw StartError(description: "cannot listen on \(address): \(error)")
            }
        }
        do {
            try startThreads(listenersPerLoop)
        } catch {
            throw StartError(description: "cannot start the event loops: \(error)")
        }
    }

    private func startThreads(_ listenersPerLoop: [[Listener]]) throws(SystemError) {
        for index in listenersPerLoop.indices {
            let loop = try EventLoop(name: "http-\(index)")
            let context = LoopContext(loop: loop, configuration: configuration, responder: responder,
                                      accessLog: accessLog, observer: observer, shared: shared)
            for listener in listenersPerLoop[index] { try listener.attach(to: context) }
            loop.onTick { context.tick() }
            loops.append(loop)
            contexts.append(context)
        }
        for (loop, context) in zip(loops, contexts) {
            let bound = LoopBound(context)
            threads.append(try PosixThread(name: loop.name) {
                _ = bound
                loop.run()
            })
        }
    }

    /// Graceful shutdown: every loop stops accepting and drains; `wait()` returns when all have finished.
    public func shutdown() {
        for (loop, context) in zip(loops, contexts) {
            let bound = LoopBound(context)
            loop.execute { bound.value.beginDraining() }
        }
    }

    public func wait() {
        for thread in threads { thread.join() }
    }

    /// Counters across all loops, for metrics.
    public struct Statistics: Sendable {
        public let openConnections: Int
        public let tlsHandshakes: Int
        public let tlsHandshakeFailures: Int
    }

    public var statistics: Statistics {
        Statistics(openConnections: shared.openConnections.load(ordering: .relaxed),
                   tlsHandshakes: shared.tlsHandshakes.load(ordering: .relaxed),
                   tlsHandshakeFailures: shared.tlsHandshakeFailures.load(ordering: .relaxed))
    }
}
