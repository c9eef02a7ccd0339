import Glibc
import HTTP1
import HTTPServer
import SystemIO

/// The few HTTP/1.1 requests `capacityd dimensions --server URL` makes to a running server's admin routes: one
/// request per connection, blocking, plain HTTP to a numeric address or `localhost` (run it next to the server).
enum AdminClient {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Response {
        let status: Int
        let body: [UInt8]
    }

    /// The largest body taken from the server: a list of every dimension of a large deployment fits.
    static let maxBodyBytes = 64 << 20

    /// `http://127.0.0.1:8080` → the address to connect to.
    static func address(of url: String) throws(Failure) -> SocketAddress {
        guard url.hasPrefix("http://") else { throw Failure(description: "\(url): only http://HOST:PORT is supported") }
        var authority = String(url.dropFirst(7))
        while authority.hasSuffix("/") { authority.removeLast() }
        if authority.hasPrefix("localhost:") { authority = "127.0.0.1" + authority.dropFirst(9) }
        do {
            return try SocketAddress(parsing: authority)
        } catch {
            throw Failure(description: "\(url): \(error.description)")
        }
    }

    /// `timeout`: seconds each send and each read may wait for the server.
    static func request(_ method: String, _ path: String, body: [UInt8]? = nil, url: String,
                        apiKey: String?, timeout: Int = 30) throws(Failure) -> Response {
        let address = try address(of: url)
        var request = Array("\(method) \(path) HTTP/1.1\r\nHost: \(address)\r\nConnection: close\r\n".utf8)
        if let apiKey { request += Array("x-api-key: \(apiKey)\r\n".utf8) }
        if let body {
            request += Array("Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
        } else {
            request += Array("\r\n".utf8)
        }
        var parser = ResponseParser(requestMethod: HTTPMethod(method), limits: ParserLimits(maxBodyBytes: maxBodyBytes))
        let outcome: ResponseParser.Outcome
        do {
            outcome = try exchange(request, with: address, parser: &parser, timeout: timeout)
        } catch {
            throw Failure(description: "\(url): \(error)")
        }
        switch outcome {
        case .complete(let response, _): return Response(status: response.status, body: response.body)
        case .invalid(let error): throw Failure(description: "\(url): \(error)")
        case .incomplete: throw Failure(description: "\(url): \(ResponseParseError.truncated)")
        }
    }

    /// Sends `request` and reads the response until `parser` has it whole or refuses it: until its framing says it
    /// is whole, or the server closes (it answers `Connection: close`).
    private static func exchange(_ request: [UInt8], with address: SocketAddress, parser: inout ResponseParser,
                                 timeout: Int) throws(SystemError) -> ResponseParser.Outcome {
        let socket = FileDescriptor(try blockingSyscall("socket") {
            Glibc.socket(address.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        })
        defer { socket.close() }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        _ = setsockopt(socket.rawValue, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(socket.rawValue, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        _ = try address.connect(socket.rawValue)
        var sent = 0
        while sent < request.count {
            let count = try blockingSyscall("send") {
                request.withUnsafeBytes { Glibc.send(socket.rawValue, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            }
            sent += count
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try blockingSyscall("recv") { recv(socket.rawValue, &buffer, buffer.count, 0) }
            received += buffer[0..<count]
            let outcome = count == 0 ? received.withUnsafeBufferPointer { parser.finish($0) }
                                     : received.withUnsafeBufferPointer { parser.parse($0) }
            if case .incomplete = outcome { continue }
            return outcome
        }
    }
}
