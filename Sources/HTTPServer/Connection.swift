import CSystemShims
import EventLoop
import Glibc
import HTTP1

/// One client connection, owned by one event loop. Requests are parsed from `input` and answered strictly in
/// order: while a response is deferred, later pipelined requests wait. Everything a batch of reads produced is
/// sent in one `send`.
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
    }

    private static let lingerMilliseconds: Int64 = 2000
    /// Unparsed input beyond this stops reading until requests are answered (pipelining back-pressure).
    private let maxBufferedInput: Int

    private unowned let context: LoopContext
    let socket: FileDescriptor
    let peer: String
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

    init(socket: FileDescriptor, peer: String, context: LoopContext) {
        self.socket = socket
        self.peer = peer
        self.context = context
        parser = RequestParser(limits: context.configuration.parserLimits)
        deadline = context.now + context.configuration.idleTimeoutMilliseconds
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
            close()
            return
        }
        if ready.contains(.read) { readAvailable() }
        if ready.contains(.write), phase != .closed { flush() }
    }

    private func readAvailable() {
        let fd = socket.rawValue
        let result: IOResult<Int>
        do {
            result = try context.readBuffer.withUnsafeMutableBytes { buffer throws(SystemError) in
                try syscall("recv") { recv(fd, buffer.baseAddress, buffer.count, 0) }
            }
        } catch {
            close()  // ECONNRESET and friends: the client is gone.
            return
        }
        guard case .done(let count) = result else { return }
        if phase == .lingering {
            if count == 0 { close() }
            return
        }
        if count == 0 {
            peerFinished = true
        } else {
            input.append(contentsOf: context.readBuffer[0..<count])
        }
        processInput()
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
                                 startMicroseconds: Clock.monotonicMicroseconds())
        dispatching = true
        let response = context.responder.respond(to: request, context: RequestContext(connection: self))
        dispatching = false
        if let response = response ?? earlyResponse {
            earlyResponse = nil
            deferredToken += 1  // a promise taken but not used can no longer answer
            if phase == .awaitingResponse { phase = .idle }
            write(response)
        } else if phase != .awaitingResponse {
            write(context.responder.errorResponse(status: .internalServerError, message: "Internal server error"))
        }
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
        phase = .idle
        deadline = context.now + context.configuration.idleTimeoutMilliseconds
        write(response)
        processInput()
    }

    /// Answers a request the engine refused and closes after it: the rest of the input cannot be trusted.
    private func refuse(status: HTTPStatus, message: String, method: HTTPMethod?) {
        current = CurrentRequest(method: method ?? .other("-"), target: "-", version: .http1_1, keepAlive: false,
                                 startMicroseconds: Clock.monotonicMicroseconds())
        input.removeAll()
        write(context.responder.errorResponse(status: status, message: message))
    }

    private func write(_ response: HTTPResponse) {
        guard let request = current else { return }
        let keepAlive = request.keepAlive && !context.draining
        let before = output.count
        ResponseSerializer.write(response, into: &output, date: context.date, serverName: context.serverName,
                                 isHead: request.method == .head, closing: !keepAlive,
                                 http10KeepAlive: keepAlive && request.version == .http1_0)
        if !keepAlive { closeAfterFlush = true }
        current = nil
        if context.accessLog != nil {
            let record = AccessRecord(
                method: request.method.name, target: request.target, status: response.status.code,
                bytes: output.count - before, durationMicroseconds: Clock.monotonicMicroseconds() - request.startMicroseconds,
                peer: peer, epochSeconds: Int(context.epochMilliseconds / 1000), epochMilliseconds: context.epochMilliseconds)
            context.record(record)
        }
    }

    // MARK: Output

    private func flush() {
        guard phase != .closed else { return }
        let fd = socket.rawValue
        while outputSent < output.count {
            let sent = outputSent
            let result: IOResult<Int>
            do {
                result = try output.withUnsafeBytes { bytes throws(SystemError) in
                    try syscall("send") { send(fd, bytes.baseAddress! + sent, bytes.count - sent, cs_msg_nosignal()) }
                }
            } catch {
                close()  // EPIPE, ECONNRESET: nobody is listening any more.
                return
            }
            switch result {
            case .done(let count):
                outputSent += count
                writeDeadline = nil
            case .wouldBlock:
                if writeDeadline == nil { writeDeadline = context.now + context.configuration.writeTimeoutMilliseconds }
                updateInterest()
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

    private func updateInterest() {
        guard phase != .closed else { return }
        var wanted: Interest = []
        let reading = phase == .lingering
            || (phase != .awaitingResponse && !closeAfterFlush && !peerFinished && input.count < maxBufferedInput)
        if reading { wanted.insert(.read) }
        if outputSent < output.count { wanted.insert(.write) }
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
        case .idle, .lingering:
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

    /// For graceful shutdown: an idle connection closes now; a busy one finishes its request first.
    func closeIfIdle() {
        if phase == .idle && input.isEmpty && outputSent == output.count { close() }
    }

    func close() {
        guard phase != .closed else { return }
        phase = .closed
        context.loop.deregister(socket.rawValue, id: registration)
        socket.close()
        context.remove(self)
    }
}
