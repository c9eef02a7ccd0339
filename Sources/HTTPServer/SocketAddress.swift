import SystemIO
import CSystemShims
import Glibc

/// A numeric IPv4 or IPv6 address with a port, as written on the command line: `127.0.0.1:8080`, `[::1]:8080`.
public struct SocketAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Family: Sendable { case ipv4, ipv6 }

    public let host: String
    public let port: UInt16
    public let family: Family

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(parsing text: String) throws(ParseError) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw ParseError(description: "\(text): expected [IPv6]:PORT")
            }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
            family = .ipv6
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw ParseError(description: "\(text): expected HOST:PORT") }
            hostPart = text[..<colon] == "localhost" ? "127.0.0.1" : text[..<colon]
            portPart = text[text.index(after: colon)...]
            family = .ipv4
        }
        guard let port = UInt16(portPart) else { throw ParseError(description: "\(text): the port must be 0-65535") }
        host = String(hostPart)
        self.port = port
        var probe = sockaddr_storage()
        guard Self.fill(&probe, host: host, port: port, family: family) else {
            throw ParseError(description: "\(text): \(host) is not a numeric \(family == .ipv4 ? "IPv4" : "IPv6") address")
        }
    }

    public var description: String { family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Writes the address into `storage` and answers its length for bind(2).
    func withSockaddr<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
        var storage = sockaddr_storage()
        _ = Self.fill(&storage, host: host, port: port, family: family)
        let length = socklen_t(family == .ipv4 ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
        return try withUnsafePointer(to: &storage) { pointer throws(E) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(E) in try body(address, length) }
        }
    }

    private static func fill(_ storage: inout sockaddr_storage, host: String, port: UInt16, family: Family) -> Bool {
        withUnsafeMutablePointer(to: &storage) { pointer in
            switch family {
            case .ipv4:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    address.pointee.sin_family = sa_family_t(AF_INET)
                    address.pointee.sin_port = port.bigEndian
                    return inet_pton(AF_INET, host, &address.pointee.sin_addr) == 1
                }
            case .ipv6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    address.pointee.sin6_family = sa_family_t(AF_INET6)
                    address.pointee.sin6_port = port.bigEndian
                    return inet_pton(AF_INET6, host, &address.pointee.sin6_addr) == 1
                }
            }
        }
    }

    /// The text form of a peer address filled in by accept(2).
    static func describe(_ storage: sockaddr_storage) -> String {
        var copy = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        return withUnsafePointer(to: &copy) { pointer -> String in
            switch Int32(storage.ss_family) {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var raw = address.pointee.sin_addr
                    inet_ntop(AF_INET, &raw, &text, socklen_t(text.count))
                    return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } + ":" + String(UInt16(bigEndian: address.pointee.sin_port))
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var raw = address.pointee.sin6_addr
                    inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
                    return "[" + text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } + "]:" + String(UInt16(bigEndian: address.pointee.sin6_port))
                }
            default:
                return "unknown"
            }
        }
    }
}

extension SocketAddress {
    /// Whether the address can be bound right now (for `check-config`). Without SO_REUSEPORT, so a running server
    /// on the port counts as "in use".
    public func checkBindable() throws(SystemError) {
        let owner = FileDescriptor(try blockingSyscall("socket") {
            Glibc.socket(family == .ipv4 ? AF_INET : AF_INET6, cs_sock_stream() | cs_sock_nonblock_cloexec(), 0)
        })
        defer { owner.close() }
        var one: Int32 = 1
        _ = setsockopt(owner.rawValue, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = try withSockaddr { pointer, length throws(SystemError) in
            try blockingSyscall("bind") { bind(owner.rawValue, pointer, length) }
        }
    }
}

extension SocketAddress {
    /// Connects the blocking socket `fd` to this address (for command-line clients, not the server).
    public func connect(_ fd: Int32) throws(SystemError) -> Int32 {
        try withSockaddr { pointer, length throws(SystemError) in
            try blockingSyscall("connect") { Glibc.connect(fd, pointer, length) }
        }
    }
}
