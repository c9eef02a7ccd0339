import EventLoop
import Glibc
import HTTP1

/// The HTTP/1.1 server: `eventLoops` threads, each with its own epoll instance, listeners and connections.
public final class HTTPServer: @unchecked Sendable {
    public let configuration: ServerConfiguration
    private let responder: HTTPResponder
    private let accessLog: AccessLogFormatter?
    private let shared = SharedServerState()
    private var loops: [EventLoop] = []
    private var contexts: [LoopContext] = []
    private var threads: [PosixThread] = []
    /// The addresses actually bound, in the order configured (port 0 resolved).
    public private(set) var boundAddresses: [SocketAddress] = []

    public init(configuration: ServerConfiguration, responder: HTTPResponder, accessLog: AccessLogFormatter? = nil) {
        self.configuration = configuration
        self.responder = responder
        self.accessLog = accessLog
    }

    /// Binds every address (so a port in use fails here, before anything runs) and starts the loops.
    public func start() throws(SystemError) {
        let loopCount = max(1, configuration.eventLoops)
        var listenersPerLoop = Array(repeating: [Listener](), count: loopCount)
        for address in configuration.listenAddresses {
            let first = try Listener(address: address, backlog: configuration.backlog)
            boundAddresses.append(first.address)
            listenersPerLoop[0].append(first)
            for index in 1..<loopCount {
                // Port 0 means "any": the other loops must share the port the first one got.
                listenersPerLoop[index].append(try Listener(address: first.address, backlog: configuration.backlog))
            }
        }
        for index in 0..<loopCount {
            let loop = try EventLoop(name: "http-\(index)")
            let context = LoopContext(loop: loop, configuration: configuration, responder: responder,
                                      accessLog: accessLog, shared: shared)
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

    /// Open connections across all loops, for metrics and tests.
    public var openConnections: Int { shared.openConnections.load(ordering: .relaxed) }
}
