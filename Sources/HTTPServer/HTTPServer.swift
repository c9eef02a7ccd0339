import SystemIO
import EventLoop
import Glibc
import HTTP1
import TLS

/// The HTTP/1.1 server: `eventLoops` threads, each with its own epoll instance, listeners and connections.
public final class HTTPServer: @unchecked Sendable {
    public let configuration: ServerConfiguration
    private let listeners: [ListenerConfiguration]
    private let accessLog: AccessLogFormatter?
    private let observer: RequestObserver?
    private let afterEachTurn: (@Sendable () -> Void)?
    private let shared = SharedServerState()
    private var loops: [EventLoop] = []
    private var contexts: [LoopContext] = []
    private var threads: [PosixThread] = []
    /// The addresses actually bound, in the order of the listeners (port 0 resolved).
    public private(set) var boundAddresses: [BoundAddress] = []

    public struct BoundAddress: Sendable, CustomStringConvertible {
        public let address: SocketAddress
        public let isTLS: Bool
        /// The listener's name (`api`, `metrics`).
        public let name: String
        /// `http://127.0.0.1:8080` or `https://[::1]:8443`.
        public var description: String { (isTLS ? "https://" : "http://") + address.description }
    }

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// `afterEachTurn` runs on each loop after every batch of events (and at least every tick): where buffered
    /// output of the layers above (the transition log) is written, once per turn instead of once per request.
    public init(configuration: ServerConfiguration, listeners: [ListenerConfiguration],
                accessLog: AccessLogFormatter? = nil, observer: RequestObserver? = nil,
                afterEachTurn: (@Sendable () -> Void)? = nil) {
        self.afterEachTurn = afterEachTurn
        self.configuration = configuration
        self.listeners = listeners
        self.accessLog = accessLog
        self.observer = observer
    }

    /// Binds every address (so a port in use fails here, before anything runs) and starts the loops.
    public func start() throws(StartError) {
        let loopCount = max(1, configuration.eventLoops)
        var listenersPerLoop = Array(repeating: [Listener](), count: loopCount)
        for listener in listeners {
            do {
                let first = try Listener(listener, backlog: configuration.backlog)
                boundAddresses.append(BoundAddress(address: first.address, isTLS: listener.tls != nil,
                                                   name: listener.name))
                listenersPerLoop[0].append(first)
                for index in 1..<loopCount {
                    // Port 0 means "any": the other loops must share the port the first one got.
                    var sibling = listener
                    sibling.address = first.address
                    listenersPerLoop[index].append(try Listener(sibling, backlog: configuration.backlog))
                }
            } catch {
                throw StartError(description: "cannot listen on \(listener.address): \(error)")
            }
        }
        do {
            try startThreads(listenersPerLoop)
        } catch {
            // Loops already running serve nothing yet worth keeping: stop them before reporting.
            shutdown()
            wait()
            throw StartError(description: "cannot start the event loops: \(error)")
        }
    }

    private func startThreads(_ listenersPerLoop: [[Listener]]) throws(SystemError) {
        for index in listenersPerLoop.indices {
            let loop = try EventLoop(name: "http-\(index)")
            let context = LoopContext(loop: loop, configuration: configuration, accessLog: accessLog,
                                      observer: observer, shared: shared)
            for listener in listenersPerLoop[index] { try listener.attach(to: context) }
            let afterEachTurn = afterEachTurn
            loop.onWake { context.refreshClock() }
            loop.onTick {
                context.tick()
                afterEachTurn?()
            }
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
