import CSystemShims
import EventLoop
import Glibc
import SystemIO
import TLS

/// Plain HTTP: bytes go straight to and from the socket.
final class PlainSocketTransport: ConnectionTransport {
    private let socket: FileDescriptor

    init(socket: FileDescriptor) {
        self.socket = socket
    }

    var descriptor: Int32 { socket.rawValue }
    var isSecure: Bool { false }
    var clientIdentity: ClientIdentity? { nil }
    var hasBufferedInput: Bool { false }
    var receiveWaitsForWritable: Bool { false }
    var sendWaitsForReadable: Bool { false }

    func receiveIsUnblocked(by ready: Interest) -> Bool { ready.contains(.read) }
    func sendIsUnblocked(by ready: Interest) -> Bool { ready.contains(.write) }

    func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportReceive {
        Self.receive(from: socket.rawValue, into: buffer)
    }

    func receiveToDiscard(into buffer: UnsafeMutableRawBufferPointer) -> TransportReceive {
        Self.receive(from: socket.rawValue, into: buffer)
    }

    /// One recv(2) on a non-blocking socket.
    static func receive(from fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> TransportReceive {
        do {
            guard case .done(let count) = try syscall("recv", { recv(fd, buffer.baseAddress, buffer.count, 0) }) else {
                return .wouldBlock
            }
            return count == 0 ? .end : .bytes(count)
        } catch {
            return .failed
        }
    }

    func send(_ bytes: UnsafeRawBufferPointer) -> TransportSend {
        let fd = socket.rawValue
        do {
            // MSG_NOSIGNAL: a client that went away is an EPIPE to handle, not a SIGPIPE that ends the server.
            let result = try syscall("send") { Glibc.send(fd, bytes.baseAddress, bytes.count, cs_msg_nosignal()) }
            guard case .done(let count) = result else { return .wouldBlock }
            return .sent(count)
        } catch {
            return .failed
        }
    }

    func shutdownWrite() {
        Self.shutdownWrite(socket.rawValue)
    }

    /// A TCP half-close (FIN); failure means the connection is already gone, which the next read reports.
    static func shutdownWrite(_ fd: Int32) {
        _ = try? syscall("shutdown") { shutdown(fd, Int32(SHUT_WR)) }
    }

    func close(clean: Bool) {
        socket.close()
    }
}
