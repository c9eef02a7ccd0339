import Glibc
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

    struct Response {
        var status: Int
        /// Names lower-case.
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
    }

    func get(_ url: URL) throws(ACMEError) -> Response {
        try exchange(method: "GET", url, body: nil)
    }

    func head(_ url: URL) throws(ACMEError) -> Response {
        try exchange(method: "HEAD", url, body: nil)
    }

    /// `accept`: what the answer should be (the certificate download wants `application/pem-certificate-chain`;
    /// some CAs refuse it under `application/json`).
    func post(_ url: URL, jose body: [UInt8], accept: String = "application/json") throws(ACMEError) -> Response {
        try exchange(method: "POST", url, body: body, accept: accept)
    }

    private func exchange(method: String, _ url: URL, body: [UInt8]?, accept: String = "application/json") throws(ACMEError) -> Response {
        let deadline = Clock.monotonicMilliseconds() + Int64(timeoutSeconds) * 1000
        let socket = try connect(url.host, url.port)
        defer { socket.close() }
        let session: TLSClientSession
        do {
            session = try TLSClientSession(socket: socket.rawValue, host: url.host, trustFile: trustFile)
        } catch {
            throw ACMEError.connection("\(url.host):\(url.port): \(error)")
        }
        var request = "\(method) \(url.pathAndQuery) HTTP/1.1\r\nHost: \(url.hostHeader)\r\n"
            + "User-Agent: capacityd-acme\r\nAccept: \(accept)\r\nConnection: close\r\n"
        if let body {
            request += "Content-Type: application/jose+json\r\nContent-Length: \(body.count)\r\n"
        }
        var bytes = Array((request + "\r\n").utf8)
        if let body { bytes += body }
        var answer: [UInt8] = []
        do {
            try session.write(bytes)
            while try session.read(into: &answer, limit: maxResponseBytes + 1 - answer.count) > 0 {
                guard answer.count <= maxResponseBytes else {
                    throw ACMEError.badAnswer("\(url): the answer is larger than \(maxResponseBytes) bytes")
                }
                guard Clock.monotonicMilliseconds() <= deadline else { throw ACMEError.connection("\(url): no answer within \(timeoutSeconds) s") }
                // A server that keeps the connection open despite `Connection: close` is not waited for.
                if Self.isComplete(answer, hasBody: method != "HEAD") { break }
            }
        } catch let error as ACMEError {
            throw error
        } catch {
            throw ACMEError.connection("\(url): \(error)")
        }
        return try Self.parse(answer, from: url, hasBody: method != "HEAD")
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

    /// Whether `answer` already holds a whole response: its head, and the body its Content-Length or its last
    /// chunk says. (Without either, the body ends when the server closes.)
    static func isComplete(_ answer: [UInt8], hasBody: Bool) -> Bool {
        guard let end = answer.firstRange(of: [13, 10, 13, 10]) else { return false }
        if !hasBody { return true }
        let head = String(decoding: answer[..<end.lowerBound], as: UTF8.self).lowercased()
        for line in head.split(separator: "\r\n") {
            if line.hasPrefix("content-length:"), let length = Int(line.dropFirst("content-length:".count).trimmingSpaces) {
                return answer.count - end.upperBound >= length
            }
            if line.hasPrefix("transfer-encoding:") && line.contains("chunked") {
                return answer.count - end.upperBound >= 5 && answer.suffix(5).elementsEqual([48, 13, 10, 13, 10])
            }
        }
        return false
    }

    /// Status line, headers, and the body by Content-Length, chunked coding, or the rest of the stream.
    static func parse(_ answer: [UInt8], from url: URL, hasBody: Bool = true) throws(ACMEError) -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = answer.firstRange(of: separator) else { throw ACMEError.badAnswer("\(url): no complete HTTP answer") }
        let head = String(decoding: answer[..<end.lowerBound], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]),
              (100...599).contains(status) else {
            throw ACMEError.badAnswer("\(url): not an HTTP answer")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw ACMEError.badAnswer("\(url): a malformed header") }
            headers.append((line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingSpaces))
        }
        var response = Response(status: status, headers: headers, body: [])
        guard hasBody else { return response }
        let rest = Array(answer[end.upperBound...])
        if response.header("transfer-encoding")?.lowercased() == "chunked" {
            response.body = try dechunk(rest, url)
        } else if let length = response.header("content-length").flatMap({ Int($0) }) {
            guard length >= 0, rest.count >= length else { throw ACMEError.badAnswer("\(url): the answer was cut short") }
            response.body = Array(rest.prefix(length))
        } else {
            response.body = rest
        }
        return response
    }

    private static func dechunk(_ bytes: [UInt8], _ url: URL) throws(ACMEError) -> [UInt8] {
        var body: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = bytes[index...].firstRange(of: [13, 10]) else { throw ACMEError.badAnswer("\(url): bad chunked body") }
            let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self)
                .split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingSpaces, radix: 16), size >= 0 else { throw ACMEError.badAnswer("\(url): bad chunk size") }
            let start = lineEnd.upperBound
            if size == 0 { return body }
            // Compared without adding to `size`, which the CA chose and which may be near Int.max.
            guard size <= bytes.count - start - 2 else { throw ACMEError.badAnswer("\(url): the answer was cut short") }
            body += bytes[start..<start + size]
            index = start + size + 2
        }
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
