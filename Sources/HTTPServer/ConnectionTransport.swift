import EventLoop
import TLS

/// What a connection's bytes travel over: a plain TCP socket or TLS on one. The connection's state machine decides
/// what happens; a transport only moves bytes, so the same connection code serves HTTP and HTTPS.
protocol ConnectionTransport: AnyObject {
    /// The socket, for event loop registration.
    var descriptor: Int32 { get }
    var isSecure: Bool { get }
    /// The verified client certificate (TLS with client certificates only).
    var clientIdentity: ClientIdentity? { get }
    /// Received bytes the transport holds that the socket will not signal again (decrypted TLS records).
    var hasBufferedInput: Bool { get }
    /// A receive cannot progress until the socket is writable (OpenSSL: a handshake or key update mid-read).
    var receiveWaitsForWritable: Bool { get }
    /// A send cannot progress until the socket is readable (OpenSSL: a handshake or key update mid-write).
    var sendWaitsForReadable: Bool { get }

    /// Whether `ready` lets a receive progress; forgets the cross-readiness it satisfies.
    func receiveIsUnblocked(by ready: Interest) -> Bool
    /// Whether `ready` lets a send progress; forgets the cross-readiness it satisfies.
    func sendIsUnblocked(by ready: Interest) -> Bool
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportReceive
    /// While lingering: reads the socket as it is (not decrypted), for the bytes to be dropped.
    func receiveToDiscard(into buffer: UnsafeMutableRawBufferPointer) -> TransportReceive
    func send(_ bytes: UnsafeRawBufferPointer) -> TransportSend
    /// Ends our sending side (TLS close_notify, then a TCP half-close) and keeps reading possible.
    func shutdownWrite()
    /// Closes the socket. `clean`: the connection ended without an error (its TLS session stays resumable).
    func close(clean: Bool)
}

enum TransportReceive: Equatable {
    case bytes(Int)
    /// The peer will send nothing more.
    case end
    case wouldBlock
    /// ECONNRESET, a failed handshake: the client is gone or not one we talk to.
    case failed
}

enum TransportSend: Equatable {
    case sent(Int)
    case wouldBlock
    /// EPIPE, ECONNRESET: nobody is listening any more.
    case failed
}
