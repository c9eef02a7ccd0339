import Glibc
import SystemIO
import TLS

/// A blocking TCP connection to a server, plain or TLS, every step bounded by a deadline: before each connect,
/// handshake, read and write the socket's timeouts are set to the time left, so a slow peer cannot stretch an
/// exchange past it however it trickles.
final class ClientConnection {
    private let socket: FileDescriptor
    private let session: TLSClientSession?
    /// The current exchange's, on `Clock.monotonicMilliseconds()`: each exchange on the connection sets its own.
    var deadline: Int64

    /// `deadline`: the connection's and handshake's. `refuse` says why a resolved address must not be used
    /// (nil: it may); it sees each address as 4 or 16 bytes in network order.
    init(host: String, port: Int, security: ClientSecurity, deadline: Int64,
         refuse: (([UInt8]) -> String?)?) throws(HTTPClientError) {
        self.deadline = deadline
        socket = try Self.connect(host, port, deadline: deadline, refuse: refuse)
        guard case .tls(let trustFile) = security else {
            session = nil
            return
        }
        do {
            try Self.setTimeouts(socket, deadline: deadline)
            session = try TLSClientSession(socket: socket.rawValue, host: host, trustFile: trustFile)
        } catch {
            socket.close()
            if Clock.monotonicMilliseconds() >= deadline { throw .timedOut }
            throw .unreachable("\(host):\(port): \(error)")
        }
    }

    deinit {
        socket.close()
    }

    func write(_ bytes: [UInt8]) throws(HTTPClientError) {
        do {
            try Self.setTimeouts(socket, deadline: deadline)
            if let session {
                try session.write(bytes)
                return
            }
            var sent = 0
            while sent < bytes.count {
                sent += try blockingSyscall("send") {
                    bytes.withUnsafeBytes { Glibc.send(socket.rawValue, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
                }
            }
        } catch {
            throw failure(error)
        }
    }

    /// Appends what arrives to `buffer`, at most `limit` bytes; 0 when the server closed.
    func read(into buffer: inout [UInt8], limit: Int) throws(HTTPClientError) -> Int {
        do {
            try Self.setTimeouts(socket, deadline: deadline)
            if let session { return try session.read(into: &buffer, limit: limit) }
            var chunk = [UInt8](repeating: 0, count: min(limit, 16_384))
            let count = try blockingSyscall("recv") { recv(socket.rawValue, &chunk, chunk.count, 0) }
            buffer += chunk.prefix(count)
            return count
        } catch {
            throw failure(error)
        }
    }

    private func failure(_ error: any Error) -> HTTPClientError {
        if let error = error as? HTTPClientError { return error }
        return Clock.monotonicMilliseconds() >= deadline ? .timedOut : .failed("\(error)")
    }

    /// The time left as the socket's receive and send timeouts (at least a millisecond: zero means none).
    private static func setTimeouts(_ socket: FileDescriptor, deadline: Int64) throws(HTTPClientError) {
        let left = deadline - Clock.monotonicMilliseconds()
        guard left > 0 else { throw .timedOut }
        var timeout = timeval(tv_sec: Int(left / 1000), tv_usec: Int(left % 1000) * 1000)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            _ = setsockopt(socket.rawValue, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    /// A TCP connection to the first address of `host` that is admitted and answers before the deadline; the
    /// socket is then blocking, for OpenSSL.
    private static func connect(_ host: String, _ port: Int, deadline: Int64,
                                refuse: (([UInt8]) -> String?)?) throws(HTTPClientError) -> FileDescriptor {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            throw .unreachable("\(host): cannot resolve: \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            entry = current.pointee.ai_next
            if let refuse, let reason = refuse(addressBytes(current.pointee)) {
                lastError = reason
                continue
            }
            do {
                return try connect(current.pointee, deadline: deadline)
            } catch {
                lastError = error.description
            }
        }
        if Clock.monotonicMilliseconds() >= deadline { throw .timedOut }
        throw .unreachable("\(host):\(port): \(lastError)")
    }

    private static func addressBytes(_ address: addrinfo) -> [UInt8] {
        guard let pointer = address.ai_addr else { return [] }
        switch address.ai_family {
        case AF_INET:
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { inet in
                withUnsafeBytes(of: inet.pointee.sin_addr) { Array($0) }
            }
        case AF_INET6:
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { inet6 in
                withUnsafeBytes(of: inet6.pointee.sin6_addr) { Array($0) }
            }
        default:
            return []
        }
    }

    private static func connect(_ address: addrinfo, deadline: Int64) throws(SystemError) -> FileDescriptor {
        let socket = FileDescriptor(try blockingSyscall("socket") {
            Glibc.socket(address.ai_family, address.ai_socktype | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), address.ai_protocol)
        })
        do throws(SystemError) {
            do throws(SystemError) {
                _ = try blockingSyscall("connect") { Glibc.connect(socket.rawValue, address.ai_addr, address.ai_addrlen) }
            } catch where error.errno == EINPROGRESS {
                var poll = pollfd(fd: socket.rawValue, events: Int16(POLLOUT), revents: 0)
                let left = Int32(clamping: max(0, deadline - Clock.monotonicMilliseconds()))
                let ready = try blockingSyscall("poll") { Glibc.poll(&poll, 1, left) }
                guard ready == 1 else { throw SystemError(call: "connect", errno: ETIMEDOUT) }
                var failure: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                _ = try blockingSyscall("getsockopt") { getsockopt(socket.rawValue, SOL_SOCKET, SO_ERROR, &failure, &length) }
                guard failure == 0 else { throw SystemError(call: "connect", errno: failure) }
            }
            let flags = try blockingSyscall("fcntl") { fcntl(socket.rawValue, F_GETFL) }
            _ = try blockingSyscall("fcntl") { fcntl(socket.rawValue, F_SETFL, flags & ~O_NONBLOCK) }
            return socket
        } catch {
            socket.close()
            throw error
        }
    }
}
