import Glibc
import HTTP1
import SystemIO
import TLS

/// The few HTTPS requests an ACME client makes, one connection each (`Connection: close`), blocking on the ACME
/// thread: every request has a deadline (connect, each read and write, and the whole exchange) and a size limit
/// on the answer, so a slow or hostile CA can delay renewals but never hold the thread or its memory.
struct HTTPSClient: Sendable {
    /// A PEM file trusted instead of the system's store (a test CA such as pebble); it also admits `http`-less
    /// loopback CAs' URLs, which `ACMEClient` checks.
    var trustFile: String?
    var timeoutSeconds = 30
    var maxResponseBytes = 1 << 20

    func get(_ url: URL) throws(ACMEError) -> ReceivedResponse {
        try exchange(method: .get, url, body: nil)
    }

    func head(_ url: URL) throws(ACMEError) -> ReceivedResponse {
        try exchange(method: .head, url, body: nil)
    }

    /// `accept`: what the answer should be (the certificate download wants `application/pem-certificate-chain`;
    /// some CAs refuse it under `application/json`).
    func post(_ url: URL, jose body: [UInt8], accept: String = "application/json") throws(ACMEError) -> ReceivedResponse {
        try exchange(method: .post, url, body: body, accept: accept)
    }

    private func exchange(method: HTTPMethod, _ url: URL, body: [UInt8]?, accept: String = "application/json") throws(ACMEError) -> ReceivedResponse {
        let deadline = Clock.monotonicMilliseconds() + Int64(timeoutSeconds) * 1000
        let socket = try connect(url.host, url.port)
        defer { socket.close() }
        let session: TLSClientSession
        do {
            session = try TLSClientSession(socket: socket.rawValue, host: url.host, trustFile: trustFile)
        } catch {
            throw ACMEError.connection("\(url.host):\(url.port): \(error)")
        }
        var request = "\(method.name) \(url.pathAndQuery) HTTP/1.1\r\nHost: \(url.hostHeader)\r\n"
            + "User-Agent: capacityd-acme\r\nAccept: \(accept)\r\nConnection: close\r\n"
        if let body {
            request += "Content-Type: application/jose+json\r\nContent-Length: \(body.count)\r\n"
        }
        var bytes = Array((request + "\r\n").utf8)
        if let body { bytes += body }
        var parser = ResponseParser(requestMethod: method, limits: ParserLimits(maxBodyBytes: maxResponseBytes))
        var answer: [UInt8] = []
        do {
            try session.write(bytes)
            while true {
                // The whole answer is bounded, not only its body: chunk extensions and trailers take room too.
                let count = try session.read(into: &answer, limit: maxResponseBytes + 1 - answer.count)
                // A server that keeps the connection open despite `Connection: close` is not waited for.
                switch count == 0 ? answer.withUnsafeBufferPointer({ parser.finish($0) })
                                  : answer.withUnsafeBufferPointer({ parser.parse($0) }) {
                case .complete(let response, _): return response
                case .invalid(let error): throw ACMEError.badAnswer("\(url): \(error)")
                case .incomplete: break
                }
                guard answer.count <= maxResponseBytes else {
                    throw ACMEError.badAnswer("\(url): the answer is larger than \(maxResponseBytes) bytes")
                }
                guard Clock.monotonicMilliseconds() <= deadline else { throw ACMEError.connection("\(url): no answer within \(timeoutSeconds) s") }
            }
        } catch let error as ACMEError {
            throw error
        } catch {
            throw ACMEError.connection("\(url): \(error)")
        }
    }

    /// A TCP connection to the first address of `host` that answers within the timeout; the socket is then
    /// blocking with a receive and send timeout, for OpenSSL.
    private func connect(_ host: String, _ port: Int) throws(ACMEError) -> FileDescriptor {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            throw ACMEError.connection("\(host): cannot resolve: \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            entry = current.pointee.ai_next
            do {
                return try connect(current.pointee)
            } catch {
                lastError = error.description
            }
        }
        throw ACMEError.connection("\(host):\(port): \(lastError)")
    }

    private func connect(_ address: addrinfo) throws(SystemError) -> FileDescriptor {
        let socket = FileDescriptor(try blockingSyscall("socket") {
            Glibc.socket(address.ai_family, address.ai_socktype | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), address.ai_protocol)
        })
        do throws(SystemError) {
            do throws(SystemError) {
                _ = try blockingSyscall("connect") { Glibc.connect(socket.rawValue, address.ai_addr, address.ai_addrlen) }
            } catch where error.errno == EINPROGRESS {
                var poll = pollfd(fd: socket.rawValue, events: Int16(POLLOUT), revents: 0)
                let ready = try blockingSyscall("poll") { Glibc.poll(&poll, 1, Int32(timeoutSeconds * 1000)) }
                guard ready == 1 else { throw SystemError(call: "connect", errno: ETIMEDOUT) }
                var failure: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                _ = try blockingSyscall("getsockopt") { getsockopt(socket.rawValue, SOL_SOCKET, SO_ERROR, &failure, &length) }
                guard failure == 0 else { throw SystemError(call: "connect", errno: failure) }
            }
            let flags = try blockingSyscall("fcntl") { fcntl(socket.rawValue, F_GETFL) }
            _ = try blockingSyscall("fcntl") { fcntl(socket.rawValue, F_SETFL, flags & ~O_NONBLOCK) }
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
                _ = try blockingSyscall("setsockopt") {
                    setsockopt(socket.rawValue, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size))
                }
            }
            return socket
        } catch {
            socket.close()
            throw error
        }
    }
}
