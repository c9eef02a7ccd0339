import EventLoop
import SystemIO
import TLS

/// HTTPS: bytes go through the connection's `TLSSession`; the handshake happens inside the first receives.
/// OpenSSL sometimes needs the other readiness to make progress (a handshake or key update in the middle of a read
/// or write); the transport remembers which operation waits for which, so the connection watches for it.
final class TLSTransport: ConnectionTransport {
    private let socket: FileDescriptor
    private let session: TLSSession
    private let counters: SharedServerState
    private(set) var receiveWaitsForWritable = false
    private(set) var sendWaitsForReadable = false

    init(socket: FileDescriptor, session: TLSSession, counters: SharedServerState) {
        self.socket = socket
        self.session = session
        self.counters = counters
    }

    var descriptor: Int32 { socket.rawValue }
    var isSecure: Bool { true }
    var clientIdentity: ClientIdentity? { session.clientIdentity }
    var hasBufferedInput: Bool { session.hasBufferedInput }

    func receiveIsUnblocked(by ready: Interest) -> Bool {
        guard ready.contains(.read) || (ready.contains(.write) && receiveWaitsForWritable) else { return false }
        receiveWaitsForWritable = false
        return true
    }

    func sendIsUnblocked(by ready: Interest) -> Bool {
        guard ready.contains(.write) || (ready.contains(.read) && sendWaitsForReadable) else { return false }
        sendWaitsForReadable = false
        return true
    }

    func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportReceive {
        let handshaking = !session.isHandshakeComplete
        let result = session.read(into: buffer)
        if handshaking {
            if case .failure = result {
                counters.tlsHandshakeFailures.add(1, ordering: .relaxed)
            } else if session.isHandshakeComplete {
                counters.tlsHandshakes.add(1, ordering: .relaxed)
            }
        }
        switch result {
        case .success(.done(let count)): return .bytes(count)
        case .success(.closed): return .end
        case .success(.wantRead): return .wouldBlock
        case .success(.wantWrite):
            receiveWaitsForWritable = true
            return .wouldBlock
        case .failure: return .failed
        }
    }

    /// What the client sends after our close_notify is not decrypted: it is dropped either way.
    func receiveToDiscard(into buffer: UnsafeMutableRawBufferPointer) -> TransportReceive {
        PlainSocketTransport.receive(from: socket.rawValue, into: buffer)
    }

    func send(_ bytes: UnsafeRawBufferPointer) -> TransportSend {
        switch session.write(bytes) {
        case .success(.done(let count)): return .sent(count)
        case .success(.wantWrite): return .wouldBlock
        case .success(.wantRead):
            sendWaitsForReadable = true
            return .wouldBlock
        case .success(.closed), .failure: return .failed
        }
    }

    func shutdownWrite() {
        session.sendCloseNotify()
        PlainSocketTransport.shutdownWrite(socket.rawValue)
    }

    /// OpenSSL forgets a session whose connection is freed without a TLS shutdown; a connection that ended without
    /// an error is marked as shut down so its client can resume.
    func close(clean: Bool) {
        if clean { session.keepSessionResumable() }
        socket.close()
    }
}
