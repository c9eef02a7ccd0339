import Testing
@testable import HTTPServer

/// Every timeout one millisecond before and one after its deadline, on an injected clock: no sleeps, no sockets.
/// `testLimits`: header 10 s, body 20 s, idle 60 s, write 5 s, linger 2 s.
@Suite("Connection state machine: timeouts")
struct ConnectionTimeoutTests {
    static let partialBody = "PATCH /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345"

    static let rows: [Row] = [
        // Header timeout, from the head's first byte: 408, then the half-close.
        Row(name: "header timeout, 1 ms before", steps: [.at(1_000), .receive("GET /a HTTP/1.1\r\n"), .at(10_999), .tick],
            transcript: [], phase: .receivingHead),
        Row(name: "header timeout, 1 ms after", steps: [.at(1_000), .receive("GET /a HTTP/1.1\r\n"), .at(11_001), .tick],
            transcript: ["refuse 408", "half-close"], phase: .lingering),
        // Body timeout, from the end of the head.
        Row(name: "body timeout, 1 ms before", steps: [.at(1_000), .receive(partialBody), .at(20_999), .tick],
            transcript: [], phase: .receivingBody),
        Row(name: "body timeout, 1 ms after", steps: [.at(1_000), .receive(partialBody), .at(21_001), .tick],
            transcript: ["refuse 408", "half-close"], phase: .lingering),
        // A 408 that cannot be sent because an earlier answer is still queued: just close.
        Row(name: "header timeout behind an unsent answer closes", limits: slowWrites,
            steps: [.clientStopsReading, .at(1_000), .receive(get("/a") + "GET /b HTTP/1.1\r\n"), .at(11_001), .tick],
            transcript: ["dispatch /a", "answer /a", "blocked", "close"], phase: .closed),
        // Idle timeout, from the answer: a half-close (linger), not a close.
        Row(name: "idle timeout, 1 ms before", steps: [.at(1_000), .receive(get("/a")), .at(60_999), .tick],
            transcript: ["dispatch /a", "answer /a"], phase: .idle),
        Row(name: "idle timeout, 1 ms after", steps: [.at(1_000), .receive(get("/a")), .at(61_001), .tick],
            transcript: ["dispatch /a", "answer /a", "half-close"], phase: .lingering),
        // A connection that never sends anything has the header timeout, and is half-closed, not answered.
        Row(name: "silent new connection, 1 ms before", steps: [.at(9_999), .tick], transcript: [], phase: .idle),
        Row(name: "silent new connection, 1 ms after", steps: [.at(10_001), .tick],
            transcript: ["half-close"], phase: .lingering),
        // Write timeout, from the send that made no progress.
        Row(name: "write timeout, 1 ms before",
            steps: [.clientStopsReading, .at(1_000), .receive(get("/a")), .at(5_999), .tick],
            transcript: ["dispatch /a", "answer /a", "blocked"], phase: .idle),
        Row(name: "write timeout, 1 ms after",
            steps: [.clientStopsReading, .at(1_000), .receive(get("/a")), .at(6_001), .tick],
            transcript: ["dispatch /a", "answer /a", "blocked", "close"], phase: .closed),
        // A reader that is slow but reads restarts the write timeout; one that stops is cut off.
        Row(name: "write timeout restarts on progress",
            steps: [.clientStopsReading, .at(1_000), .receive(get("/a")), .at(4_000), .clientReadsSome, .at(8_999), .tick],
            transcript: ["dispatch /a", "answer /a", "blocked", "blocked after some bytes"], phase: .idle),
        Row(name: "write timeout after the last progress",
            steps: [.clientStopsReading, .at(1_000), .receive(get("/a")), .at(4_000), .clientReadsSome, .at(9_001), .tick],
            transcript: ["dispatch /a", "answer /a", "blocked", "blocked after some bytes", "close"], phase: .closed),
        // Blocking again without progress keeps the first deadline.
        Row(name: "write timeout is not pushed back by more blocked sends",
            steps: [.clientStopsReading, .at(1_000), .receive(get("/a")), .at(4_000), .receive(get("/b")), .at(6_001), .tick],
            transcript: ["dispatch /a", "answer /a", "blocked", "dispatch /b", "answer /b", "blocked", "close"],
            phase: .closed),
        // An idle connection still sending its last answer is left to the write timeout, not half-closed at its
        // idle deadline (here the drain's last call), and half-closed once the answer is out.
        Row(name: "idle deadline waits for the last answer to go out",
            steps: [.clientStopsReading, .at(1_000), .receive(get("/a")), .drain(idleUntil: 2_000), .at(2_001), .tick],
            transcript: ["dispatch /a", "answer /a", "blocked"], phase: .idle),
        Row(name: "idle deadline applies once the last answer is out",
            steps: [.clientStopsReading, .at(1_000), .receive(get("/a")), .drain(idleUntil: 2_000), .at(2_001), .tick,
                    .at(3_000), .clientReads, .tick],
            transcript: ["dispatch /a", "answer /a", "blocked", "half-close"], phase: .lingering),
        // Linger timeout, from the half-close.
        Row(name: "linger timeout, 1 ms before",
            steps: [.at(1_000), .receive(get("/a", "Connection: close\r\n")), .at(2_999), .tick],
            transcript: ["dispatch /a", "answer /a close", "half-close"], phase: .lingering),
        Row(name: "linger timeout, 1 ms after",
            steps: [.at(1_000), .receive(get("/a", "Connection: close\r\n")), .at(3_001), .tick],
            transcript: ["dispatch /a", "answer /a close", "half-close", "close"], phase: .closed),
        // A deferred response has no client timeout: the server owes the next move.
        Row(name: "no timeout while a response is deferred",
            steps: [.at(1_000), .receive(get("/defer")), .at(1_000_000), .tick],
            transcript: ["dispatch /defer"], phase: .awaitingResponse),
    ]

    /// The write timeout is longer than the header timeout here, so the header timeout fires first.
    static let slowWrites = ConnectionStateMachine.Limits(
        headerTimeout: 10_000, bodyTimeout: 20_000, idleTimeout: 60_000, writeTimeout: 30_000, lingerTimeout: 2_000,
        maxBufferedInput: 1_000)

    @Test(arguments: rows)
    func timeout(_ row: Row) {
        let (transcript, phase) = row.run()
        #expect(transcript == row.transcript)
        #expect(phase == row.phase)
    }

    /// The idle timeout counts from each answer: a busy keep-alive connection never looks idle.
    @Test(arguments: [(110_999, false), (111_001, true)])
    func idleDeadlineRestartsAtEachAnswer(tickAt: Int64, halfClosed: Bool) {
        var driver = ConnectionDriver(limits: testLimits)
        // Answers at 1 s, 30 s and 51 s; the idle timeout (60 s) runs from the last one.
        driver.run([.at(1_000), .receive(get("/a")), .at(30_000), .receive(get("/b")), .at(51_000),
                    .receive(get("/c")), .at(61_001), .tick, .at(90_001), .tick, .at(tickAt), .tick])
        #expect(driver.transcript.last == (halfClosed ? "half-close" : "answer /c"))
        #expect(driver.machine.phase == (halfClosed ? .lingering : .idle))
    }
}

@Suite("Defaults behind a load balancer")
struct LoadBalancerDefaultsTests {
    /// ALB, NLB and API Gateway's VPC link keep an idle connection to a target for 60 s; capacityd must not be the
    /// one to close first (a close racing the balancer's reuse is an intermittent 502).
    @Test func keepAliveOutlastsTheBalancersSixtySeconds() {
        #expect(ServerConfiguration().idleTimeoutMilliseconds > 60_000)
        #expect(ServerConfiguration.defaultIdleTimeoutMilliseconds == 75_000)
    }
}
