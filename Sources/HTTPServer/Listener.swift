import SystemIO
import CSystemShims
import EventLoop
import Glibc
import HTTP1
import TLS

/// A listening socket on one loop. Every loop binds its own socket to each address with SO_REUSEPORT, so the
/// kernel spreads new connections across loops without a shared accept lock.
final class Listener: EventHandler {
    let socket: FileDescriptor
    let address: SocketAddress
    /// Set on an HTTPS listener: each accepted connection starts a session from its current context.
    let tls: ReloadableTLSContext?
    /// Answers the requests of every connection this listener accepts.
    let responder: HTTPResponder
    let name: String
    private let backlog: Int32
    private unowned var context: LoopContext!
    private var registration: UInt64 = 0
    private var pausedUntil: Int64?

    /// Binds and listens; called on the starting thread so that a bad address fails start-up.
    init(_ configuration: ListenerConfiguration, backlog: Int32) throws(SystemError) {
        let address = configuration.address
        self.backlog = backlog
        self.tls = configuration.tls
        self.responder = configuration.responder
        name = configuration.name
        let domain = address.family == .ipv4 ? AF_INET : AF_INET6
        let owner = FileDescriptor(try blockingSyscall("socket") {
            Glibc.socket(domain, cs_sock_stream() | cs_sock_nonblock_cloexec(), 0)
        })
        let fd = owner.rawValue
        var one: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        try blockingSyscall("setsockopt(SO_REUSEADDR)") { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, size) }
        try blockingSyscall("setsockopt(SO_REUSEPORT)") { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, size) }
        if address.family == .ipv6 {
            try blockingSyscall("setsockopt(IPV6_V6ONLY)") { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, size) }
        }
        socket = owner
        _ = try address.withSockaddr { pointer, length throws(SystemError) in
            try blockingSyscall("bind") { bind(fd, pointer, length) }
        }
        try blockingSyscall("listen") { listen(fd, backlog) }
        self.address = try Self.localAddress(of: fd, like: address)
    }

    /// The address actually bound (port 0 becomes the port the kernel chose).
    private static func localAddress(of fd: Int32, like requested: SocketAddress) throws(SystemError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw SystemError(call: "getsockname", errno: errno) }
        let text = SocketAddress.describe(storage)
        return (try? SocketAddress(parsing: text)) ?? requested
    }

    func attach(to context: LoopContext) throws(SystemError) {
        self.context = context
        registration = try context.loop.register(socket.rawValue, interest: .read, handler: self)
        context.listeners.append(self)
    }

    func handle(_ ready: Interest) {
        // A bounded batch, so one busy listener cannot starve the connections of this loop.
        acceptWaiting(upTo: 64)
    }

    /// Graceful shutdown: closing a listening socket resets the connections the kernel has completed but nobody
    /// accepted yet, and their clients may already have sent a request. They are taken in first, to be answered.
    func closeAfterAcceptingWaiting() {
        // At most a backlog's worth: that is all the kernel can have queued, and clients that keep connecting
        // meanwhile must not hold the loop (and its grace deadline) forever.
        if pausedUntil == nil { acceptWaiting(upTo: Int(backlog)) }
        close()
    }

    private func acceptWaiting(upTo limit: Int) {
        for _ in 0..<limit {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let listenFD = socket.rawValue
            let result: IOResult<Int32>
            do {
                result = try syscall("accept4") {
                    withUnsafeMutablePointer(to: &storage) { pointer in
                        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            accept4(listenFD, $0, &length, cs_sock_nonblock_cloexec())
                        }
                    }
                }
            } catch {
                if error.errno == EMFILE || error.errno == ENFILE || error.errno == ENOBUFS || error.errno == ENOMEM {
                    // Out of descriptors: the listener would stay readable and spin the loop. Pause it briefly.
                    pause()
                }
                return
            }
            guard case .done(let fd) = result else { return }
            accepted(FileDescriptor(fd), peer: SocketAddress.describe(storage))
        }
    }

    private func accepted(_ socket: FileDescriptor, peer: String) {
        let open = context.shared.openConnections.wrappingAdd(1, ordering: .relaxed).newValue
        guard open <= context.configuration.maxConnections else {
            context.shared.openConnections.subtract(1, ordering: .relaxed)
            refuseOverLimit(socket)
            return
        }
        var one: Int32 = 1
        // Without TCP_NODELAY, Nagle holds a small response back until the client's delayed ACK (~40 ms).
        _ = setsockopt(socket.rawValue, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let transport: any ConnectionTransport
        if let tls {
            do {
                let session = try TLSSession(context: tls.current, socket: socket.rawValue)
                transport = TLSTransport(socket: socket, session: session, counters: context.shared)
            } catch {
                context.shared.openConnections.subtract(1, ordering: .relaxed)
                socket.close()
                return
            }
        } else {
            transport = PlainSocketTransport(socket: socket)
        }
        let connection = Connection(transport: transport, peer: peer, responder: responder, listener: name, context: context)
        do {
            try connection.start()
        } catch {
            context.shared.openConnections.subtract(1, ordering: .relaxed)
            socket.close()
        }
    }

    /// Past `maxConnections`: a best-effort 503 on the new socket, without waiting for it, then close. (Over
    /// TLS there is no handshake to spend on a connection that is refused, so it is just closed.)
    private func refuseOverLimit(_ socket: FileDescriptor) {
        guard tls == nil else {
            socket.close()
            return
        }
        var bytes: [UInt8] = []
        let response = responder.errorResponse(status: .serviceUnavailable, message: "Too many connections")
        ResponseSerializer.write(response, into: &bytes, common: context.commonHead,
                                 isHead: false, closing: true, http10KeepAlive: false)
        let fd = socket.rawValue
        _ = try? bytes.withUnsafeBytes { buffer throws(SystemError) in
            try syscall("send") { send(fd, buffer.baseAddress, buffer.count, cs_msg_nosignal()) }
        }
        socket.close()
    }

    private func pause() {
        pausedUntil = context.now + 100
        try? context.loop.reregister(socket.rawValue, id: registration, interest: [])
    }

    func resumeIfPaused(now: Int64) {
        guard let until = pausedUntil, now >= until else { return }
        pausedUntil = nil
        try? context.loop.reregister(socket.rawValue, id: registration, interest: .read)
    }

    func close() {
        context.loop.deregister(socket.rawValue, id: registration)
        socket.close()
    }
}
