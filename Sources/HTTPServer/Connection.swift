import SystemIO
import CSystemShims
import EventLoop
import Glibc
import HTTP1
import TLS

/// One client connection, owned by one event loop. Requests are parsed from `input` and answered strictly in
/// order: while a response is deferred, later pipelined requests wait. Everything a batch of reads produced is
/// sent in one `send` (one TLS record write over TLS).
final class Connection: EventHandler {
    /// Where the connection is in its life; each phase has its own timeout.
    enum Phase: Equatable {
        /// Between requests (keep-alive idle timeout).
        case idle
        /// Part of a head has arrived (header timeout, from its first byte).
        case receivingHead
        /// The head is in, the body is not (body timeout).
        case receivingBody
        /// The responder deferred its answer; no client timeout runs, the server owes the next move.
        case awaitingResponse
        /// Our side is shut down after the last response; what the client still sends is read and dropped so
        /// that closing does not reset the connection before the client has read that response.
        case lingering
        case closed
    }

    /// Facts about the request being answered, kept across a deferred response.
    private struct CurrentRequest {
        var method: HTTPMethod
        var target: String
        var version: HTTPVersion
        var keepAlive: Bool
        var startMicroseconds: Int64
        /// Kept for `Accept-Encoding`, looked at only when a response is large enough to compress.
        var headers: HTTPHeaders?
    }

    private static let lingerMilliseconds: Int64 = 2000
    /// Unparsed input beyond this stops reading until requests are answered (pipelining back-pressure).
    private let maxBufferedInput: Int

    private unowned let context: LoopContext
    let socket: FileDescriptor
    let peer: String
    /// Present on an HTTPS connection; the handshake runs inside its first reads.
    let tls: TLSSession?
    private let responder: HTTPResponder
    /// OpenSSL sometimes needs the other readiness to make progress (a handshake or key update in the middle of
    /// a read or write); these say which operation is waiting for which.
    private var readWaitsForWritable = false
    private var writeWaitsForReadable = false
    private var registration: UInt64 = 0
    private var interest: Interest = .read
    private var input: [UInt8] = []
    private var parser: RequestParser
    private var output: [UInt8] = []
    private var outputSent = 0
    private(set) var phase: Phase = .idle
    private var deadline: Int64
    private var writeDeadline: Int64?
    private var peerFinished = false
    private var closeAfterFlush = false
    private var current: CurrentRequest?
    private var deferredToken: UInt64 = 0
    /// Set while the responder runs, so a promise fulfilled before it returns is answered by `dispatch`.
    private var dispatching = false
    private var earlyResponse: HTTPResponse?

    init(socket: FileDescriptor, peer: String, tls: TLSSession?, responder: HTTPResponder, context: LoopContext) {
        self.socket = socket
        self.peer = peer
        self.tls = tls
        self.responder = responder
        self.context = context
        parser = RequestParser(limits: context.configuration.parserLimits)
        // A new connection gets the header timeout for its first request (and a TLS handshake), so a client that
        // connects and sends nothing, or half a ClientHello, holds a descriptor no longer than a slow request.
        deadline = context.now + context.configuration.headerTimeoutMilliseconds
        let limits = context.configuration.parserLimits
        maxBufferedInput = limits.maxRequestLineBytes + limits.maxHeaderBytes + limits.maxBodyBytes + 65536
    }

    func start() throws(SystemError) {
        registration = try context.loop.register(socket.rawValue, interest: .read, handler: self)
        context.add(self)
    }

    // MARK: Events

    func handle(_ ready: Interest) {
        if ready.contains(.hangup) {
            close(failed: true)
            return
        }
        if ready.contains(.read) || (ready.contains(.write) && readWaitsForWritable) {
            readWaitsForWritable = false
            readAvailable()
        }
        if ready.contains(.write) || (ready.contains(.read) && writeWaitsForReadable), phase != .closed {
            writeWaitsForReadable = false
            flush()
        }
    }

    private enum Received {
        case bytes(Int)
        case end
        case nothing
        case failed
    }

    private func readAvailable() {
        if phase == .lingering {
            drainWhileLingering()
            return
        }
        while true {
            switch receive() {
            case .failed:
                close(failed: true)  // ECONNRESET, a failed handshake: the client is gone or not one we talk to.
                return
            case .nothing:
                return
            case .end:
                peerFinished = true
            case .bytes(let count):
                input.append(contentsOf: context.readBuffer[0..<count])
            }
            processInput()
            // Decrypted bytes OpenSSL already holds will not make the socket readable again.
            guard let tls, tls.hasBufferedInput, phase != .closed, isReading else { return }
        }
    }

    private func receive() -> Received {
        guard let tls else {
            let fd = socket.rawValue
            do {
                let result = try context.readBuffer.withUnsafeMutableBytes { buffer throws(SystemError) in
                    try syscall("recv") { recv(fd, buffer.baseAddress, buffer.count, 0) }
                }
                guard case .done(let count) = result else { return .nothing }
                return count == 0 ? .end : .bytes(count)
            } catch {
                return .failed
            }
        }
        let handshaking = !tls.isHandshakeComplete
        let result = context.readBuffer.withUnsafeMutableBytes { tls.read(into: $0) }
        if handshaking {
            if case .failure = result {
                context.shared.tlsHandshakeFailures.add(1, ordering: .relaxed)
            } else if tls.isHandshakeComplete {
                context.shared.tlsHandshakes.add(1, ordering: .relaxed)
            }
        }
        switch result {
        case .success(.done(let count)): return .bytes(count)
        case .success(.closed): return .end
        case .success(.wantRead): return .nothing
        case .success(.wantWrite):
            readWaitsForWritable = true
            updateInterest()
            return .nothing
        case .failure: return .failed
        }
    }

    /// After our last response: what the client still sends is read raw (not decrypted) and dropped.
    private func drainWhileLingering() {
        let fd = socket.rawValue
        let result = try? context.readBuffer.withUnsafeMutableBytes { buffer throws(SystemError) in
            try syscall("recv") { recv(fd, buffer.baseAddress, buffer.count, 0) }
        }
        switch result {
        case .done(0)?, nil: close()
        default: break
        }
    }

    /// Parses and answers every complete request in `input`, stopping at a deferred response.
    private func processInput() {
        while phase != .awaitingResponse && !closeAfterFlush && phase != .closed {
            if input.isEmpty {
                if phase != .idle {
                    phase = .idle
                    deadline = context.now + context.configuration.idleTimeoutMilliseconds
                }
                break
            }
            let outcome = input.withUnsafeBufferPointer { parser.parse($0) }
            switch outcome {
            case .incomplete:
                if phase == .idle {
                    phase = .receivingHead
                    deadline = context.now + context.configuration.headerTimeoutMilliseconds
                }
            case .headReceived(let head):
                phase = .receivingBody
                deadline = context.now + context.configuration.bodyTimeoutMilliseconds
                if head.expectsContinue { output.append(contentsOf: ResponseSerializer.continueResponse) }
            case .complete(let request, let consumed):
                input.removeFirst(consumed)
                dispatch(request)
                continue
            case .invalid(let error):
                refuse(status: error.status, message: error.message, method: nil)
            }
            break
        }
        if peerFinished && phase != .awaitingResponse && !closeAfterFlush && phase != .closed {
            // The client will send nothing more; a partial request can never complete.
            closeAfterFlush = true
            input.removeAll()
        }
        flush()
    }

    private func dispatch(_ request: HTTPRequest) {
        let head = request.head
        current = CurrentRequest(method: head.method, target: head.target, version: head.version,
                                 keepAlive: head.keepAlive && !context.draining,
                                 startMicroseconds: Clock.monotonicMicroseconds(), headers: head.headers)
        dispatching = true
        let response = responder.respond(to: request, context: RequestContext(connection: self))
        dispatching = false
        if let response = response ?? earlyResponse {
            earlyResponse = nil
            deferredToken += 1  // a promise taken but not used can no longer answer
            answered()
            write(response)
        } else if phase != .awaitingResponse {
            answered()
            write(responder.errorResponse(status: .internalServerError, message: "Internal server error"))
        }
    }

    /// A request was answered: the connection waits for the next one, and its idle timeout starts now (not when
    /// the connection or the previous idle spell began: a busy keep-alive connection must never look idle).
    private func answered() {
        phase = .idle
        deadline = context.now + context.configuration.idleTimeoutMilliseconds
    }

    func beginDeferredResponse() -> ResponsePromise {
        deferredToken += 1
        phase = .awaitingResponse
        return ResponsePromise(loop: context.loop, connection: self, token: deferredToken)
    }

    func finishDeferredResponse(_ response: HTTPResponse, token: UInt64) {
        guard phase == .awaitingResponse, token == deferredToken else { return }
        if dispatching {
            earlyResponse = response
            return
        }
        answered()
        write(response)
        processInput()
    }

    /// Answers a request the engine refused and closes after it: the rest of the input cannot be trusted.
    private func refuse(status: HTTPStatus, message: String, method: HTTPMethod?) {
        current = CurrentRequest(method: method ?? .other("-"), target: "-", version: .http1_1, keepAlive: false,
                                 startMicroseconds: Clock.monotonicMicroseconds())
        input.removeAll()
        write(responder.errorResponse(status: status, message: message))
    }

    private func write(_ response: HTTPResponse) {
        guard let request = current else { return }
        let response = compressIfWorthIt(response, requestHeaders: request.headers)
        let keepAlive = request.keepAlive && !context.draining
        let before = output.count
        ResponseSerializer.write(response, into: &output, date: context.date, serverName: context.serverName,
                                 isHead: request.method == .head, closing: !keepAlive,
                                 http10KeepAlive: keepAlive && request.version == .http1_0)
        if !keepAlive { closeAfterFlush = true }
        current = nil
        if context.accessLog != nil || context.observer != nil {
            let record = AccessRecord(
                method: request.method.name, target: request.target, status: response.status.code,
                bytes: output.count - before, durationMicroseconds: Clock.monotonicMicroseconds() - request.startMicroseconds,
                peer: peer, client: tls?.clientIdentity, epochSeconds: Int(context.epochMilliseconds / 1000), epochMilliseconds: context.epochMilliseconds)
            context.record(record)
        }
    }

    /// gzip for a JSON or text body of at least `gzipMinimumBytes`, when the client accepts it; such responses
    /// carry `Vary: Accept-Encoding` either way, so caches keep the two forms apart. Tiny bodies are sent as they are:
    /// compressing them costs more than it saves.
    private func compressIfWorthIt(_ response: HTTPResponse, requestHeaders: HTTPHeaders?) -> HTTPResponse {
        let minimum = context.configuration.gzipMinimumBytes
        guard minimum > 0, response.body.count >= minimum,
              !response.headers.contains(where: { $0.name.lowercased() == "content-encoding" }),
              let type = response.headers.first(where: { $0.name.lowercased() == "content-type" })?.value.lowercased(),
              type.hasPrefix("application/json") || type.hasPrefix("text/") else { return response }
        var compressed = response
        compressed.headers.append(("Vary", "Accept-Encoding"))
        if AcceptEncoding.allowsGzip(requestHeaders?["accept-encoding"]), let body = Gzip.compress(response.body), body.count < response.body.count {
            compressed.body = body
            compressed.headers.append(("Content-Encoding", "gzip"))
        }
        return compressed
    }

    // MARK: Output

    private func flush() {
        guard phase != .closed else { return }
        while outputSent < output.count {
            switch send() {
            case .sent(let count):
                outputSent += count
                writeDeadline = nil
            case .blocked:
                if writeDeadline == nil { writeDeadline = context.now + context.configuration.writeTimeoutMilliseconds }
                updateInterest()
                return
            case .failed:
                close(failed: true)  // EPIPE, ECONNRESET: nobody is listening any more.
                return
            }
        }
        writeDeadline = nil
        if output.capacity > 262_144 {
            output = []
        } else {
            output.removeAll(keepingCapacity: true)
        }
        outputSent = 0
        if closeAfterFlush {
            startLingering()
        } else if peerFinished && phase != .awaitingResponse {
            close()
        } else {
            updateInterest()
        }
    }

    private enum Sent {
        case sent(Int)
        case blocked
        case failed
    }

    private func send() -> Sent {
        let sent = outputSent
        guard let tls else {
            let fd = socket.rawValue
            do {
                let result = try output.withUnsafeBytes { bytes throws(SystemError) in
                    try syscall("send") { Glibc.send(fd, bytes.baseAddress! + sent, bytes.count - sent, cs_msg_nosignal()) }
                }
                guard case .done(let count) = result else { return .blocked }
                return .sent(count)
            } catch {
                return .failed
            }
        }
        let result = output.withUnsafeBytes { tls.write(UnsafeRawBufferPointer(rebasing: $0[sent...])) }
        switch result {
        case .success(.done(let count)): return .sent(count)
        case .success(.wantWrite): return .blocked
        case .success(.wantRead):
            writeWaitsForReadable = true
            return .blocked
        case .success(.closed), .failure: return .failed
        }
    }

    /// Whether the connection takes more input now: not while a response is owed, nor past the pipelining
    /// back-pressure bound, nor once it is going to close.
    private var isReading: Bool {
        phase == .lingering
            || (phase != .awaitingResponse && !closeAfterFlush && !peerFinished && input.count < maxBufferedInput)
    }

    private func updateInterest() {
        guard phase != .closed else { return }
        var wanted: Interest = []
        if isReading || writeWaitsForReadable { wanted.insert(.read) }
        if outputSent < output.count || readWaitsForWritable { wanted.insert(.write) }
        guard wanted != interest else { return }
        do {
            try context.loop.reregister(socket.rawValue, id: registration, interest: wanted)
            interest = wanted
        } catch {
            close()
        }
    }

    // MARK: Closing

    private func startLingering() {
        guard !peerFinished else {
            close()
            return
        }
        tls?.sendCloseNotify()
        _ = shutdown(socket.rawValue, Int32(SHUT_WR))
        phase = .lingering
        deadline = context.now + Self.lingerMilliseconds
        updateInterest()
    }

    /// Called on each sweep: enforces the timeout of the current phase.
    func checkDeadline(now: Int64) {
        if let writeDeadline, now >= writeDeadline {
            close()
            return
        }
        guard now >= deadline else { return }
        switch phase {
        case .idle:
            // The last answer may still be on its way to a slow reader: the write timeout governs that, and the
            // idle deadline applies once it is out.
            guard outputSent == output.count else { return }
            // A half-close, not a close: a request the client sends at this moment is then read and dropped,
            // where an unread one would make the kernel answer with a reset.
            startLingering()
        case .lingering:
            close()
        case .receivingHead, .receivingBody:
            guard outputSent == output.count else {
                close()
                return
            }
            refuse(status: .requestTimeout, message: "The request was not received in time", method: nil)
            flush()
        case .awaitingResponse, .closed:
            break
        }
    }

    /// For graceful shutdown: an idle connection may send one more request until `idleUntil` (and finishes sending
    /// its last answer first); a busy one finishes its request. Every answer from now on carries `Connection: close`.
    func beginDraining(idleUntil: Int64) {
        if phase == .idle { deadline = min(deadline, idleUntil) }
    }

    /// `failed`: the connection broke (reset, TLS error). OpenSSL then forgets its session; any other close keeps
    /// it resumable, as the client did nothing wrong.
    func close(failed: Bool = false) {
        guard phase != .closed else { return }
        if !failed { tls?.keepSessionResumable() }
        phase = .closed
        context.loop.deregister(socket.rawValue, id: registration)
        socket.close()
        context.remove(self)
    }
}
