import CapacityServer
import Foundation
import Glibc
import HTTPServer
import StoreFactory
import Testing

/// The whole service inside the test process: started on port 0 over the memory store, asked over a real socket,
/// stopped; afterwards nothing listens on its port and the transition log holds the request's lines.
@Suite("CapacityService started and stopped in process")
struct ServiceLifecycleTests {
    @Test func answersOnItsBoundPortAndClosesItWhenStopped() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("capacityd-service-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = ServiceSettings()
        settings.http = ["127.0.0.1:0"]
        settings.store.stateDirectory = directory
        settings.logDirectory = directory + "/transitions"
        settings.accessLog = false
        try settings.validate()

        let service = try CapacityService.start(settings, store: .memory)
        let bound = try #require(service.boundAddresses.first)
        #expect(!bound.isTLS)
        let port = bound.address.port
        #expect(port != 0)

        let answer = try Self.exchange(port: port, "GET /v1/scalableTargetDimensions/in-process HTTP/1.1\r\n"
                                                   + "Host: localhost\r\nConnection: close\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(answer.contains(#""scalableTargetDimensionId": "in-process""#))

        service.stop()
        #expect(Self.connectError(port: port) == ECONNREFUSED)
        // A second stop finds everything closed already.
        service.stop()

        let logs = try FileManager.default.contentsOfDirectory(atPath: settings.logDirectory!)
        let log = try #require(logs.first { $0.hasPrefix("api-") })
        let lines = try String(contentsOfFile: settings.logDirectory! + "/" + log, encoding: .utf8)
        #expect(lines.contains("Request: GET dimensionId: in-process"))
    }

    /// Sends `request` to 127.0.0.1:`port` and reads until the server closes the connection.
    private static func exchange(port: UInt16, _ request: String) throws -> String {
        let socket = try connected(port: port)
        defer { close(socket) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        #expect(bytes.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    private struct ConnectFailed: Error {
        let errno: Int32
    }

    private static func connected(port: UInt16) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(socket)
            throw ConnectFailed(errno: code)
        }
        return socket
    }

    /// The errno of a connection attempt to `port`, or nil if something accepted it.
    private static func connectError(port: UInt16) -> Int32? {
        do {
            close(try connected(port: port))
            return nil
        } catch {
            return (error as? ConnectFailed)?.errno
        }
    }
}
