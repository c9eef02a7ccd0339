import Foundation
import Glibc

/// A plain TCP client for what curl will not send: pipelined, malformed, partial or never-read requests.
final class RawConnection {
    private(set) var fd: Int32
    /// Received bytes not yet handed out as responses.
    private var received: [UInt8] = []

    /// `source`: the local address to connect from (any of 127.0.0.0/8), for tests that need many clients.
    init(port: UInt16, source: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                let code = errno
                close(fd)
                throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Closes with a reset (RST), as a client that crashed or timed out hard does.
    func reset() {
        var abort = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, socklen_t(MemoryLayout<linger>.size))
        close(fd)
        fd = -1
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return }  // the server closed; what it answered is still readable
            offset += sent
        }
    }

    /// Sends without blocking; returns how many bytes the kernel took.
    func sendWithoutBlocking(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, bytes.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
    }

    /// Half-closes our side, as a client does after its last request.
    func finishSending() { shutdown(fd, Int32(SHUT_WR)) }

    /// Everything until the server closes (or `timeout` passes), and whether it closed.
    func readUntilClosed(timeout: TimeInterval = 20) -> (text: String, closed: Bool) {
        defer { received.removeAll() }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0, let chunk = read(waitingAtMost: remaining) else {
                return (String(decoding: received, as: UTF8.self), false)
            }
            if chunk.isEmpty { return (String(decoding: received, as: UTF8.self), true) }
            received += chunk
        }
    }

    /// Reads until `count` more complete responses (each with Content-Length) have arrived; fewer if the server
    /// closes or `timeout` passes first. Bytes of later responses stay for the next call.
    func readResponses(_ count: Int, timeout: TimeInterval = 20) -> [RawResponse] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let (responses, consumed) = RawResponse.parse(received, upTo: count)
            let remaining = deadline.timeIntervalSinceNow
            if responses.count < count, remaining > 0, let chunk = read(waitingAtMost: remaining), !chunk.isEmpty {
                received += chunk
                continue
            }
            received.removeFirst(consumed)
            return responses
        }
    }

    /// One read: nil on timeout, empty at end of stream (or reset).
    private func read(waitingAtMost seconds: TimeInterval) -> [UInt8]? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 0 ? Array(buffer[0..<count]) : []
    }
}

/// A response as bytes on the wire, split by its Content-Length.
struct RawResponse {
    var statusLine: String
    var headers: [(name: String, value: String)]
    var body: String

    var status: Int { Int(statusLine.split(separator: " ")[1]) ?? 0 }

    var json: [String: Any]? { jsonObject(body) }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    static func parseAll(_ bytes: [UInt8]) -> [RawResponse] {
        parse(bytes, upTo: .max).responses
    }

    /// The first `limit` complete responses in `bytes`, and how many bytes they took.
    static func parse(_ bytes: [UInt8], upTo limit: Int) -> (responses: [RawResponse], consumed: Int) {
        var responses: [RawResponse] = []
        var rest = bytes[...]
        let separator: [UInt8] = [13, 10, 13, 10]
        while responses.count < limit, let end = rest.firstRange(of: separator) {
            let head = String(decoding: rest[rest.startIndex..<end.lowerBound], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst()
            let headers = lines.compactMap { line -> (name: String, value: String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            // 1xx responses have no body and no Content-Length.
            let length = statusLine.contains(" 100 ") ? 0
                : Int(headers.first { $0.name.lowercased() == "content-length" }?.value ?? "") ?? 0
            let bodyStart = end.upperBound
            guard rest.endIndex - bodyStart >= length else { break }
            let body = String(decoding: rest[bodyStart..<bodyStart + length], as: UTF8.self)
            responses.append(RawResponse(statusLine: statusLine, headers: headers, body: body))
            rest = rest[(bodyStart + length)...]
        }
        return (responses, rest.startIndex)
    }
}
