import HTTP1

/// The lifecycle of one HTTP/1.1 connection as a value: which phase it is in, which timeout runs, whether it keeps
/// the connection alive, when it stops reading, and how it ends. Events go in (what the parser found, what the
/// responder did, what the transport managed to send, the passing of time) and each returns the one action the
/// connection carries out next; an action without an outcome of its own is followed by `proceed(now:)`.
///
/// It never reads a clock (every event that needs the time carries `now`, in milliseconds on the loop's monotonic
/// clock) and knows nothing of sockets, TLS or bytes beyond how many are buffered, so every rule here is tested as a
/// table of events in Tests/HTTPServerTests.
///
/// Requests are answered strictly in order (RFC 9112 §9.3.2): a request is parsed only once the one before it is
/// answered, so while a response is deferred, later pipelined requests wait in the input buffer.
struct ConnectionStateMachine {
    /// Where the connection is in its life; each phase has its own timeout.
    enum Phase: Equatable {
        /// Between requests (keep-alive idle timeout). A new connection starts here, with the header timeout.
        case idle
        /// Part of a head has arrived (header timeout, from its first byte).
        case receivingHead
        /// The head is in, the body is not (body timeout).
        case receivingBody
        /// The responder is running, on the loop, for the request just parsed.
        case responding
        /// The responder deferred its answer; no client timeout runs, the server owes the next move.
        case awaitingResponse
        /// Our side is shut down after the last response; what the client still sends is read and dropped so
        /// that closing does not reset the connection before the client has read that response.
        case lingering
        case closed
    }

    let limits: Limits
    private(set) var phase: Phase = .idle
    /// When the current phase's timeout fires.
    private(set) var deadline: Int64
    /// Set while output waits for a client that does not read: from the last send that made no progress.
    private(set) var writeDeadline: Int64?
    /// Output was queued and not yet all sent.
    private(set) var hasPendingOutput = false
    /// The client sent end-of-file: it will send nothing more.
    private var peerFinished = false
    /// The connection half-closes once its output is out (the last answer said `Connection: close`).
    private var closeAfterFlush = false
    /// Graceful shutdown began: every answer from now on closes its connection.
    private(set) var draining = false
    /// Bytes received and not yet consumed by a request.
    private var bufferedInput = 0
    /// The parser has seen the buffered input as it is now; parsing it again before more arrives changes nothing.
    private var bufferedInputExamined = false
    private var currentRequestKeepsAlive = false
    /// The responder took a promise for the request it is answering.
    private var responderDeferred = false

    /// A new connection gets the header timeout for its first request (and a TLS handshake), so a client that
    /// connects and sends nothing, or half a ClientHello, holds a descriptor no longer than a slow request.
    init(limits: Limits, now: Int64) {
        self.limits = limits
        deadline = now + limits.headerTimeout
    }

    /// Whether the connection takes more input now: not while a response is owed, nor past the pipelining
    /// back-pressure bound, nor once it is going to close; while lingering it reads only to drop.
    var wantsToRead: Bool {
        switch phase {
        case .lingering:
            true
        case .idle, .receivingHead, .receivingBody:
            !closeAfterFlush && !peerFinished && bufferedInput < limits.maxBufferedInput
        case .responding, .awaitingResponse, .closed:
            false
        }
    }

    var wantsToWrite: Bool { hasPendingOutput }

    /// A promise for the current request may still answer it.
    var owesDeferredResponse: Bool {
        phase == .awaitingResponse || (phase == .responding && responderDeferred)
    }

    // MARK: Input

    mutating func received(byteCount: Int, now: Int64) -> Action {
        guard phase != .lingering && phase != .closed else { return .nothing }
        bufferedInput += byteCount
        bufferedInputExamined = false
        return proceed(now: now)
    }

    /// End-of-file from the client (a TCP FIN, or a TLS close_notify); while lingering, also a failed read.
    mutating func peerClosed(now: Int64) -> Action {
        switch phase {
        case .lingering:
            // The client has read what it wanted and closed: nothing can be reset any more.
            return .close
        case .closed:
            return .nothing
        default:
            peerFinished = true
            return proceed(now: now)
        }
    }

    mutating func parsed(_ input: ParsedInput, now: Int64) -> Action {
        bufferedInputExamined = true
        switch input {
        case .incomplete:
            if phase == .idle {
                phase = .receivingHead
                deadline = now + limits.headerTimeout
            }
            return proceed(now: now)
        case .head(let expectsContinue):
            phase = .receivingBody
            deadline = now + limits.bodyTimeout
            guard expectsContinue else { return proceed(now: now) }
            hasPendingOutput = true
            return .sendContinue
        case .request(let consumed, let keepAlive):
            bufferedInput -= consumed
            bufferedInputExamined = false
            currentRequestKeepsAlive = keepAlive && !draining
            responderDeferred = false
            phase = .responding
            return .dispatch
        case .invalid(let error):
            return refuse(.invalid(error))
        }
    }

    /// Answers a request the engine refused and closes after it: the rest of the input cannot be trusted (RFC 9112
    /// §11.2: a server that cannot tell where a request ends must not read what follows as another request).
    private mutating func refuse(_ refusal: Refusal) -> Action {
        bufferedInput = 0
        closeAfterFlush = true
        hasPendingOutput = true
        return .refuse(refusal)
    }

    // MARK: Responses

    /// The responder took a promise (called while it runs).
    mutating func responseDeferred() {
        if phase == .responding { responderDeferred = true }
    }

    /// The responder returned; `answered`: with a response, or having fulfilled its promise already.
    mutating func responderReturned(answered: Bool, now: Int64) -> Action {
        guard phase == .responding else { return .nothing }
        // No response and no promise: the connection answers 500 rather than hang.
        if answered || !responderDeferred { return answer(now: now) }
        phase = .awaitingResponse
        return proceed(now: now)
    }

    /// A deferred response is ready. While the responder is still running, its return picks the response up,
    /// so the answer keeps its place in the order and nothing runs re-entrantly inside `respond`.
    mutating func responseReady(now: Int64) -> Action {
        guard phase == .awaitingResponse else { return .nothing }
        return answer(now: now)
    }

    /// A request was answered: the connection waits for the next one, and its idle timeout starts now (not when
    /// the connection or the previous idle spell began: a busy keep-alive connection must never look idle).
    private mutating func answer(now: Int64) -> Action {
        phase = .idle
        deadline = now + limits.idleTimeout
        // RFC 9112 §9.6: once an answer says `Connection: close`, nothing more is read or answered.
        let closing = !(currentRequestKeepsAlive && !draining)
        if closing { closeAfterFlush = true }
        hasPendingOutput = true
        return .writeResponse(closing: closing)
    }

    /// After an action that has no outcome of its own: parses the next request if the previous one is answered,
    /// and otherwise sends what is queued.
    mutating func proceed(now: Int64) -> Action {
        switch phase {
        case .idle, .receivingHead, .receivingBody:
            if !closeAfterFlush {
                if bufferedInput == 0 {
                    if phase != .idle {
                        phase = .idle
                        deadline = now + limits.idleTimeout
                    }
                } else if !bufferedInputExamined {
                    return .parse
                }
                if peerFinished {
                    // The client will send nothing more; a partial request can never complete.
                    closeAfterFlush = true
                    if bufferedInput > 0 {
                        bufferedInput = 0
                        return .discardInput
                    }
                }
            }
            return sendQueuedOutput(now: now)
        case .awaitingResponse:
            return sendQueuedOutput(now: now)
        case .responding, .lingering, .closed:
            return .nothing
        }
    }

    // MARK: Output

    mutating func sendQueuedOutput(now: Int64) -> Action {
        hasPendingOutput ? .flush : outputFlushed(now: now)
    }

    /// The transport can take more bytes (or, over TLS, the readiness a blocked write waited for arrived).
    mutating func outputWritable(now: Int64) -> Action {
        switch phase {
        case .responding, .lingering, .closed: .nothing
        case .idle, .receivingHead, .receivingBody, .awaitingResponse: sendQueuedOutput(now: now)
        }
    }

    /// Everything queued was sent.
    mutating func outputFlushed(now: Int64) -> Action {
        writeDeadline = nil
        hasPendingOutput = false
        if closeAfterFlush { return startLingering(now: now) }
        if peerFinished && phase != .awaitingResponse { return .close }
        return .wait
    }

    /// The transport took no more. The write timeout measures time without progress: it restarts whenever some
    /// bytes went out, so a slow reader that keeps reading is not cut off, one that stopped is.
    mutating func writeBlocked(afterProgress: Bool, now: Int64) -> Action {
        if afterProgress || writeDeadline == nil { writeDeadline = now + limits.writeTimeout }
        return .wait
    }

    // MARK: Closing

    /// A half-close, not a close, after the last answer (RFC 9112 §9.6): closing with unread input makes the
    /// kernel send a reset, which can destroy the answer before the client has read it.
    private mutating func startLingering(now: Int64) -> Action {
        // The client already finished: nothing it sends can arrive to be reset.
        if peerFinished { return .close }
        phase = .lingering
        deadline = now + limits.lingerTimeout
        return .shutdownWrite
    }

    /// Called on each sweep: enforces the write timeout and the timeout of the current phase.
    mutating func tick(now: Int64) -> Action {
        guard phase != .closed else { return .nothing }
        if let writeDeadline, now >= writeDeadline { return .close }
        guard now >= deadline else { return .nothing }
        switch phase {
        case .idle:
            // The last answer may still be on its way to a slow reader: the write timeout governs that, and the
            // idle deadline applies once it is out.
            guard !hasPendingOutput else { return .nothing }
            // A half-close, not a close: a request the client sends at this moment is then read and dropped,
            // where an unread one would make the kernel answer with a reset.
            return startLingering(now: now)
        case .lingering:
            return .close
        case .receivingHead, .receivingBody:
            // An earlier answer still queued: a 408 could only queue behind it, so the connection just closes.
            guard !hasPendingOutput else { return .close }
            return refuse(.timedOut)
        case .responding, .awaitingResponse, .closed:
            return .nothing
        }
    }

    /// Graceful shutdown: an idle connection may send one more request until `idleUntil` (and finishes sending its
    /// last answer first); a busy one finishes its request. Every answer from now on carries `Connection: close`.
    mutating func drain(idleUntil: Int64) {
        draining = true
        if phase == .idle { deadline = min(deadline, idleUntil) }
    }

    /// The connection was closed: after `.close`, a transport failure, or the end of the shutdown grace period.
    mutating func closed() {
        phase = .closed
    }
}
