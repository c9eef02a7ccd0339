import HTTP1
@testable import HTTPServer

/// Drives a `ConnectionStateMachine` the way `Connection` does, with the real `RequestParser` and no socket,
/// clock or thread: every action that a client would notice is written to `transcript`.
///
/// The responder is played by the request target: `/defer…` takes a promise (fulfilled by `Step.fulfil`),
/// `/promise-now…` takes one and fulfils it before returning, `/nothing…` returns no response and no promise,
/// anything else is answered at once.
struct ConnectionDriver {
    typealias Action = ConnectionStateMachine.Action

    private(set) var machine: ConnectionStateMachine
    private(set) var transcript: [String] = []
    private var parser = RequestParser()
    private var input: [UInt8] = []
    private var now: Int64 = 0
    private var sendsBlock = false
    private var nextSendProgresses = false
    private var parsedTarget: String?
    private var currentTarget = "-"
    /// The answer `writeResponse` writes: the target it answers; nil means the engine's 500.
    private var readyAnswer: String?

    init(limits: ConnectionStateMachine.Limits) {
        machine = ConnectionStateMachine(limits: limits, now: 0)
    }

    mutating func run(_ steps: [Step]) {
        for step in steps { run(step) }
    }

    mutating func run(_ step: Step) {
        switch step {
        case .at(let time):
            now = time
        case .receive(let text):
            input += Array(text.utf8)
            perform(machine.received(byteCount: text.utf8.count, now: now))
        case .peerCloses:
            perform(machine.peerClosed(now: now))
        case .tick:
            perform(machine.tick(now: now))
        case .fulfil:
            guard machine.owesDeferredResponse else {
                transcript.append("promise ignored")
                return
            }
            readyAnswer = currentTarget
            perform(machine.responseReady(now: now))
        case .drain(let idleUntil):
            machine.drain(idleUntil: idleUntil)
        case .clientStopsReading:
            sendsBlock = true
        case .clientReads:
            sendsBlock = false
            perform(machine.outputWritable(now: now))
        case .clientReadsSome:
            nextSendProgresses = true
            perform(machine.outputWritable(now: now))
        case .noteReading:
            transcript.append(machine.wantsToRead ? "reading" : "not reading")
        }
    }

    private mutating func perform(_ first: Action) {
        var action = first
        while true {
            switch action {
            case .nothing, .wait:
                return
            case .parse:
                action = parse()
            case .dispatch:
                currentTarget = parsedTarget ?? "?"
                transcript.append("dispatch \(currentTarget)")
                action = respond(to: currentTarget)
            case .sendContinue:
                transcript.append("100-continue")
                action = machine.proceed(now: now)
            case .writeResponse(let closing):
                transcript.append("answer " + (readyAnswer ?? "500 \(currentTarget)") + (closing ? " close" : ""))
                readyAnswer = nil
                action = machine.proceed(now: now)
            case .refuse(let refusal):
                switch refusal {
                case .timedOut: transcript.append("refuse 408")
                case .invalid(let error): transcript.append("refuse \(error.status.code)")
                }
                input.removeAll()
                action = machine.proceed(now: now)
            case .discardInput:
                transcript.append("discard input")
                input.removeAll()
                action = machine.proceed(now: now)
            case .flush:
                action = flush()
            case .shutdownWrite:
                transcript.append("half-close")
                return
            case .close:
                transcript.append("close")
                machine.closed()
                return
            }
        }
    }

    private mutating func parse() -> Action {
        let outcome = input.withUnsafeBufferPointer { parser.parse($0) }
        if case .complete(let request, let consumed) = outcome {
            input.removeFirst(consumed)
            parsedTarget = request.head.target
        }
        return machine.parsed(ConnectionStateMachine.ParsedInput(outcome), now: now)
    }

    private mutating func respond(to target: String) -> Action {
        if target.hasPrefix("/defer") {
            machine.responseDeferred()
            return machine.responderReturned(answered: false, now: now)
        }
        if target.hasPrefix("/promise-now") {
            machine.responseDeferred()
            // Fulfilled inside `respond`: the machine must not act before the responder has returned.
            let early = machine.responseReady(now: now)
            if early != .nothing { transcript.append("re-entered with \(early)") }
            readyAnswer = target
            return machine.responderReturned(answered: true, now: now)
        }
        if target.hasPrefix("/nothing") {
            return machine.responderReturned(answered: false, now: now)
        }
        readyAnswer = target
        return machine.responderReturned(answered: true, now: now)
    }

    private mutating func flush() -> Action {
        if nextSendProgresses {
            nextSendProgresses = false
            transcript.append("blocked after some bytes")
            return machine.writeBlocked(afterProgress: true, now: now)
        }
        if sendsBlock {
            transcript.append("blocked")
            return machine.writeBlocked(afterProgress: false, now: now)
        }
        return machine.outputFlushed(now: now)
    }
}
