import EventLoop
import HTTP1
import SystemIO

/// One client connection, owned by one event loop. It carries out what its `ConnectionStateMachine` decides, over
/// a `ConnectionTransport` (plain or TLS): it holds the bytes, runs the parser and the responder, and registers for
/// the readiness the machine wants. Everything a batch of reads produced is sent in one `send` (one TLS record
/// write over TLS), at the end of the loop's turn: see `LoopContext.sendAtEndOfTurn(_:)`.
final class Connection: EventHandler {
    private typealias Action = ConnectionStateMachine.Action

    /// The request being answered (nil: one the engine refused unparsed), kept across a deferred response for its
    /// answer and access record.
    private struct CurrentRequest {
        var request: HTTPRequest?
        var startMicroseconds: Int64
        /// See `RequestContext.setResponderTag`.
        var responderTag: Int?
    }

    /// Strong: the context holds its connections until they close (`close()` removes this one), and an `unowned`
    /// reference costs a check of the referent's count at every use, a dozen per request.
    private let context: LoopContext
    let peer: String
    let transport: any ConnectionTransport
    private let responder: HTTPResponder
    /// The accepting listener's name, for the access record.
    private let listener: String
    private var machine: ConnectionStateMachine
    private var registration: UInt64 = 0
    private var interest: Interest = .read
    private var input: [UInt8] = []
    private var parser: RequestParser
    private var output: [UInt8] = []
    private var outputSent = 0
    private var current: CurrentRequest?
    /// The answer to the current request, from the responder or its promise, until it is written.
    private var readyResponse: HTTPResponse?
    /// Which promise may still answer: a promise taken but not used can no longer answer a later request.
    private var deferredToken: UInt64 = 0
    /// When the promise `deferredToken` names expires (on the loop's clock), and its answer then.
    private var expiry: (deadline: Int64, response: @Sendable () -> HTTPResponse)?
    /// Queued with the context for its send at the end of this turn.
    private var sendQueued = false

    init(transport: any ConnectionTransport, peer: String, responder: HTTPResponder, listener: String,
         context: LoopContext) {
        self.transport = transport
        self.peer = peer
        self.responder = responder
        self.listener = listener
        self.context = context
        parser = RequestParser(limits: context.configuration.parserLimits)
        machine = ConnectionStateMachine(limits: context.connectionLimits, now: context.now)
    }

    func start() throws(SystemError) {
        registration = try context.loop.register(transport.descriptor, interest: .read, handler: self)
        context.add(self)
    }

    // MARK: Events

    func handle(_ ready: Interest) {
        if ready.contains(.hangup) {
            close(failed: true)
            return
        }
        if transport.receiveIsUnblocked(by: ready) { readAvailable() }
        if machine.phase != .closed, transport.sendIsUnblocked(by: ready) {
            perform(machine.outputWritable(now: context.now))
        }
    }

    private func readAvailable() {
        if machine.phase == .lingering {
            discardWhileLingering()
            return
        }
        while true {
            let received = context.readBuffer.withUnsafeMutableBytes { transport.receive(into: $0) }
            switch received {
            case .failed:
                close(failed: true)
                return
            case .wouldBlock:
                updateInterest()  // over TLS the read may now wait for writability
                return
            case .end:
                perform(machine.peerClosed(now: context.now))
            case .bytes(let count):
                input.append(contentsOf: context.readBuffer[0..<count])
                perform(machine.received(byteCount: count, now: context.now))
            }
            // Decrypted bytes OpenSSL already holds will not make the socket readable again.
            guard transport.hasBufferedInput, machine.phase != .closed, machine.wantsToRead else { return }
        }
    }

    /// After our last response: what the client still sends is dropped; its end-of-file (or a reset) closes.
    private func discardWhileLingering() {
        switch context.readBuffer.withUnsafeMutableBytes({ transport.receiveToDiscard(into: $0) }) {
        case .end, .failed: perform(machine.peerClosed(now: context.now))
        case .bytes, .wouldBlock: break
        }
    }

    /// Called on each sweep: enforces the timeout of the current phase, and expires a deferred response.
    func checkDeadline(now: Int64) {
        if let expiry, now >= expiry.deadline { expire() }
        perform(machine.tick(now: now))
    }

    /// For graceful shutdown; see `ConnectionStateMachine.drain(idleUntil:)`. A deferred response that expires is
    /// given its expired answer at once.
    func beginDraining(idleUntil: Int64) {
        machine.drain(idleUntil: idleUntil)
        if expiry != nil { expire() }
    }

    private func expire() {
        guard let response = expiry.take()?.response else { return }
        finishDeferredResponse(response(), token: deferredToken)
    }

    func setResponderTag(_ tag: Int) {
        current?.responderTag = tag
    }

    func beginDeferredResponse(expiry: DeferredExpiry?) -> ResponsePromise {
        deferredToken += 1
        self.expiry = expiry.map { (context.now + $0.afterMilliseconds, $0.response) }
        machine.responseDeferred()
        return ResponsePromise(loop: context.loop, connection: self, token: deferredToken)
    }

    func finishDeferredResponse(_ response: consuming HTTPResponse, token: UInt64) {
        guard token == deferredToken, machine.owesDeferredResponse else { return }
        expiry = nil
        readyResponse = consume response
        // Fulfilled inside the responder (a store that answered at once): its return picks the answer up.
        guard machine.phase == .awaitingResponse else { return }
        perform(machine.responseReady(now: context.now))
    }

    // MARK: Actions

    /// Carries out `first` and every action it leads to, until the machine waits for the next event.
    private func perform(_ first: Action) {
        var action = first
        var parsedRequest: HTTPRequest?
        while true {
            let now = context.now
            switch action {
            case .nothing:
                return
            case .parse:
                action = parseInput(into: &parsedRequest, now: now)
            case .dispatch:
                guard let request = parsedRequest.take() else { return }
                action = dispatch(request, now: now)
            case .sendContinue:
                output.append(contentsOf: ResponseSerializer.continueResponse)
                action = machine.proceed(now: now)
            case .writeResponse(let closing):
                let response = readyResponse.take() ?? responder.missingResponse()
                write(response, closing: closing)
                action = machine.proceed(now: now)
            case .refuse(let refusal):
                refuse(refusal)
                action = machine.proceed(now: now)
            case .discardInput:
                input.removeAll()
                action = machine.proceed(now: now)
            case .flush:
                if !sendQueued {
                    sendQueued = true
                    context.sendAtEndOfTurn(self)
                }
                return
            case .wait:
                updateInterest()
                return
            case .shutdownWrite:
                transport.shutdownWrite()
                updateInterest()
                return
            case .close:
                close()
                return
            }
        }
    }

    private func parseInput(into parsedRequest: inout HTTPRequest?, now: Int64) -> Action {
        let outcome = input.withUnsafeBufferPointer { parser.parse($0) }
        if case .complete(let request, let consumed) = outcome {
            // Usually the request was all there was: emptying keeps the buffer and moves nothing.
            if consumed == input.count {
                input.removeAll(keepingCapacity: true)
            } else {
                input.removeFirst(consumed)
            }
            parsedRequest = request
        }
        return machine.parsed(ConnectionStateMachine.ParsedInput(outcome), now: now)
    }

    /// Runs the responder. A promise it fulfils before returning leaves its answer in `readyResponse`; a response
    /// it returns wins over that.
    private func dispatch(_ request: HTTPRequest, now: Int64) -> Action {
        current = CurrentRequest(request: request, startMicroseconds: context.requestClockMicroseconds())
        if let response = responder.respond(to: request, context: RequestContext(origin: .connection(self))) {
            readyResponse = response
        }
        if readyResponse != nil { deferredToken += 1 }
        return machine.responderReturned(answered: readyResponse != nil, now: context.now)
    }

    /// Answers a request the engine refused itself; the rest of the input cannot be trusted.
    private func refuse(_ refusal: ConnectionStateMachine.Refusal) {
        current = CurrentRequest(request: nil, startMicroseconds: context.requestClockMicroseconds())
        input.removeAll()
        let response = switch refusal {
        case .invalid(let error): responder.errorResponse(status: error.status, message: error.message)
        case .timedOut: responder.errorResponse(status: .requestTimeout, message: "The request was not received in time")
        }
        write(response, closing: true)
    }

    private func write(_ response: consuming HTTPResponse, closing: Bool) {
        guard let current = current.take() else { return }
        let request = current.request
        var response = response
        response.compressIfWorthIt(minimumBytes: context.configuration.gzipMinimumBytes,
                                   requestHeaders: request?.head.headers)
        let before = output.count
        ResponseSerializer.write(response, into: &output, common: context.commonHead,
                                 isHead: request?.head.method == .head, closing: closing,
                                 http10KeepAlive: !closing && request?.head.version == .http1_0)
        if context.recordsRequests {
            let record = AccessRecord(
                request: request, status: response.status.code, bytes: output.count - before,
                durationMicroseconds: context.requestClockMicroseconds() - current.startMicroseconds,
                peer: peer, listener: listener, client: transport.clientIdentity,
                epochMilliseconds: context.epochMilliseconds, timestamp: context.timestamp(),
                fields: response.accessLogFields, responderTag: current.responderTag)
            context.record(record)
        }
    }

    // MARK: Output

    /// The send a `.flush` queued, once the turn's events are handled.
    func sendQueuedOutput() {
        sendQueued = false
        guard machine.phase != .closed else { return }
        perform(flush(now: context.now))
    }

    private func flush(now: Int64) -> Action {
        var progressed = false
        while outputSent < output.count {
            let sent = outputSent
            let result = output.withUnsafeBytes { transport.send(UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            switch result {
            case .sent(let count):
                outputSent += count
                progressed = true
            case .wouldBlock:
                return machine.writeBlocked(afterProgress: progressed, now: now)
            case .failed:
                close(failed: true)
                return .nothing
            }
        }
        // One huge answer must not pin its buffer for the rest of a keep-alive connection's life.
        if output.capacity > 262_144 {
            output = []
        } else {
            output.removeAll(keepingCapacity: true)
        }
        outputSent = 0
        return machine.outputFlushed(now: now)
    }

    private func updateInterest() {
        guard machine.phase != .closed else { return }
        var wanted: Interest = []
        if machine.wantsToRead || transport.sendWaitsForReadable { wanted.insert(.read) }
        if machine.wantsToWrite || transport.receiveWaitsForWritable { wanted.insert(.write) }
        guard wanted != interest else { return }
        do {
            try context.loop.reregister(transport.descriptor, id: registration, interest: wanted)
            interest = wanted
        } catch {
            close()
        }
    }

    // MARK: Closing

    /// `failed`: the connection broke (reset, TLS error). OpenSSL then forgets its session; any other close keeps
    /// it resumable, as the client did nothing wrong.
    func close(failed: Bool = false) {
        guard machine.phase != .closed else { return }
        machine.closed()
        // A deferred response that would have expired: its maker lets go of what it holds (a long-poll's place
        // among the waiters). The answer goes nowhere.
        if let expiry = expiry.take() { _ = expiry.response() }
        context.loop.deregister(transport.descriptor, id: registration)
        transport.close(clean: !failed)
        context.remove(self)
    }
}
