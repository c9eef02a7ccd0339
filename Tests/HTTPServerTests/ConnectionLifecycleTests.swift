import Testing
@testable import HTTPServer

/// Pipelining, keep-alive, refusals, end-of-file, lingering and graceful shutdown, as tables of events.
@Suite("Connection state machine: lifecycle")
struct ConnectionLifecycleTests {
    static let body = "PATCH /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"
    static let bodyAfterContinue = "PATCH /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n"

    static let pipelining: [Row] = [
        Row(name: "pipelined requests are answered in order",
            steps: [.receive(get("/a") + get("/b") + get("/c"))],
            transcript: ["dispatch /a", "answer /a", "dispatch /b", "answer /b", "dispatch /c", "answer /c"],
            phase: .idle),
        // While a response is deferred, the request behind it waits; the answers go out in order.
        Row(name: "a deferred response holds back the next request",
            steps: [.receive(get("/defer") + get("/b")), .noteReading, .fulfil],
            transcript: ["dispatch /defer", "not reading", "answer /defer", "dispatch /b", "answer /b"],
            phase: .idle),
        Row(name: "a request arriving while a response is deferred waits for it",
            steps: [.receive(get("/defer")), .receive(get("/b")), .fulfil],
            transcript: ["dispatch /defer", "answer /defer", "dispatch /b", "answer /b"], phase: .idle),
        // A promise fulfilled inside `respond` answers in place, without re-entering the machine.
        Row(name: "a promise fulfilled before the responder returns",
            steps: [.receive(get("/promise-now") + get("/b"))],
            transcript: ["dispatch /promise-now", "answer /promise-now", "dispatch /b", "answer /b"], phase: .idle),
        Row(name: "a promise fulfilled twice answers once",
            steps: [.receive(get("/defer")), .fulfil, .fulfil],
            transcript: ["dispatch /defer", "answer /defer", "promise ignored"], phase: .idle),
        Row(name: "no response and no promise is a 500",
            steps: [.receive(get("/nothing") + get("/b"))],
            transcript: ["dispatch /nothing", "answer 500 /nothing", "dispatch /b", "answer /b"], phase: .idle),
        // Back-pressure: past the buffered-input bound (1,000 bytes here) the connection stops reading.
        Row(name: "input past the bound stops reading",
            steps: [.receive(get("/defer")), .receive(String(repeating: get("/b"), count: 40)), .noteReading],
            transcript: ["dispatch /defer", "not reading"], phase: .awaitingResponse),
        Row(name: "input under the bound keeps reading",
            steps: [.receive("GET /" + String(repeating: "a", count: 900)), .noteReading],
            transcript: ["reading"], phase: .receivingHead),
        Row(name: "input past the bound is read again once answered",
            steps: [.receive(get("/defer")), .receive(String(repeating: get("/b"), count: 40)), .fulfil, .noteReading],
            transcript: ["dispatch /defer", "answer /defer"]
                + Array(repeating: ["dispatch /b", "answer /b"], count: 40).flatMap { $0 } + ["reading"],
            phase: .idle),
    ]

    static let keepAlive: [Row] = [
        Row(name: "Connection: close answers with close and half-closes",
            steps: [.receive(get("/a", "Connection: close\r\n") + get("/b"))],
            transcript: ["dispatch /a", "answer /a close", "half-close"], phase: .lingering),
        Row(name: "HTTP/1.0 closes", steps: [.receive("GET /a HTTP/1.0\r\n\r\n")],
            transcript: ["dispatch /a", "answer /a close", "half-close"], phase: .lingering),
        Row(name: "HTTP/1.0 keep-alive keeps the connection",
            steps: [.receive("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n")],
            transcript: ["dispatch /a", "answer /a", "dispatch /b", "answer /b close", "half-close"], phase: .lingering),
        Row(name: "Expect: 100-continue is answered before the body",
            steps: [.receive(bodyAfterContinue),
                    .receive("0123456789")],
            transcript: ["100-continue", "dispatch /a", "answer /a"], phase: .idle),
    ]

    static let refusals: [Row] = [
        // A refused request is answered with its status and closes after the answer is out; what follows it is
        // never read as a request.
        Row(name: "a refused request closes after its answer",
            steps: [.receive("GET /a HTTP/1.1\r\n\r\n" + get("/smuggled"))],
            transcript: ["refuse 400", "half-close"], phase: .lingering),
        Row(name: "a refused request waits for its answer to go out",
            steps: [.clientStopsReading, .receive("GET /a HTTP/1.1\r\n\r\n"), .noteReading, .clientReads],
            transcript: ["refuse 400", "blocked", "not reading", "half-close"], phase: .lingering),
        Row(name: "a refusal after answered requests comes after their answers",
            steps: [.receive(get("/a") + "GET /b HTTP/2.0\r\nHost: x\r\n\r\n")],
            transcript: ["dispatch /a", "answer /a", "refuse 505", "half-close"], phase: .lingering),
    ]

    static let endOfFile: [Row] = [
        Row(name: "end-of-file with no request pending closes",
            steps: [.receive(get("/a")), .peerCloses], transcript: ["dispatch /a", "answer /a", "close"], phase: .closed),
        Row(name: "end-of-file on a new connection closes",
            steps: [.peerCloses], transcript: ["close"], phase: .closed),
        Row(name: "a request and end-of-file together are answered, then closed",
            steps: [.receive(get("/a") + get("/b")), .peerCloses],
            transcript: ["dispatch /a", "answer /a", "dispatch /b", "answer /b", "close"], phase: .closed),
        Row(name: "end-of-file in the middle of a request drops it and closes",
            steps: [.receive("GET /a HTTP/1.1\r\n"), .peerCloses], transcript: ["discard input", "close"], phase: .closed),
        Row(name: "end-of-file while a response is deferred waits for it",
            steps: [.receive(get("/defer")), .peerCloses, .noteReading, .fulfil],
            transcript: ["dispatch /defer", "not reading", "answer /defer", "close"], phase: .closed),
        Row(name: "end-of-file while the answer is blocked closes once it is out",
            steps: [.clientStopsReading, .receive(get("/a")), .peerCloses, .clientReads],
            transcript: ["dispatch /a", "answer /a", "blocked", "blocked", "close"], phase: .closed),
        // Lingering, then the client's end-of-file closes (before the linger timeout).
        Row(name: "end-of-file while lingering closes",
            steps: [.receive(get("/a", "Connection: close\r\n")), .at(500), .peerCloses],
            transcript: ["dispatch /a", "answer /a close", "half-close", "close"], phase: .closed),
        Row(name: "input while lingering is dropped",
            steps: [.receive(get("/a", "Connection: close\r\n")), .receive(get("/b")), .noteReading],
            transcript: ["dispatch /a", "answer /a close", "half-close", "reading"], phase: .lingering),
    ]

    static let draining: [Row] = [
        // Drain during a body: the request completes, and its answer carries close.
        Row(name: "drain during a body finishes the request with close",
            steps: [.at(1_000), .receive(body + "01234"), .drain(idleUntil: 2_000), .at(2_001), .tick,
                    .receive("56789")],
            transcript: ["dispatch /a", "answer /a close", "half-close"], phase: .lingering),
        Row(name: "drain while a response is deferred answers it with close",
            steps: [.receive(get("/defer") + get("/b")), .drain(idleUntil: 2_000), .at(3_000), .tick, .fulfil],
            transcript: ["dispatch /defer", "answer /defer close", "half-close"], phase: .lingering),
        // Drain of an idle connection: a last call until `idleUntil`, then the half-close.
        Row(name: "drained idle connection, 1 ms before its last call ends",
            steps: [.at(1_000), .receive(get("/a")), .drain(idleUntil: 3_000), .at(2_999), .tick],
            transcript: ["dispatch /a", "answer /a"], phase: .idle),
        Row(name: "drained idle connection, 1 ms after its last call ends",
            steps: [.at(1_000), .receive(get("/a")), .drain(idleUntil: 3_000), .at(3_001), .tick],
            transcript: ["dispatch /a", "answer /a", "half-close"], phase: .lingering),
        Row(name: "a last-call request is answered with close",
            steps: [.at(1_000), .receive(get("/a")), .drain(idleUntil: 3_000), .at(2_500), .receive(get("/b"))],
            transcript: ["dispatch /a", "answer /a", "dispatch /b", "answer /b close", "half-close"], phase: .lingering),
        // The last call never extends an idle deadline that ends sooner.
        Row(name: "drain keeps an earlier idle deadline",
            steps: [.at(1_000), .receive(get("/a")), .at(59_000), .drain(idleUntil: 100_000), .at(61_001), .tick],
            transcript: ["dispatch /a", "answer /a", "half-close"], phase: .lingering),
    ]

    @Test(arguments: pipelining + keepAlive + refusals + endOfFile + draining)
    func lifecycle(_ row: Row) {
        let (transcript, phase) = row.run()
        #expect(transcript == row.transcript)
        #expect(phase == row.phase)
    }
}
