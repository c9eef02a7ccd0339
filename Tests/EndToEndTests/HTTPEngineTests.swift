import Foundation
import Testing

private let patchHead = "PATCH /v1/scalableTargetDimensions/raw HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"

@Suite("HTTP/1.1 engine, over raw sockets")
struct HTTPEngineTests {
    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let server = try ServerProcess(["--mode", "production"])
        let connection = try RawConnection(port: server.port)
        var requests = ""
        for capacity in 2...21 {
            let body = "{\"desiredCapacity\": \(capacity)}"
            requests += patchHead + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
            requests += "GET /time HTTP/1.1\r\nHost: x\r\n\r\n"
        }
        connection.send(requests)
        let responses = connection.readResponses(40)
        #expect(responses.count == 40)
        for (index, response) in responses.enumerated() {
            #expect(response.status == 200)
            if index % 2 == 0 {
                #expect(response.body.contains("\"desiredCapacity\": \(index / 2 + 2)"), "\(index): \(response.body)")
            } else {
                #expect(response.body.hasPrefix("{\"The current epoch time\""))
            }
            #expect(response.header("Connection") == nil || response.header("Connection") == "keep-alive")
        }
        server.stop()
    }

    @Test func connectionCloseAndHTTP10AreHonoured() throws {
        let server = try ServerProcess()
        let close = try RawConnection(port: server.port)
        close.send("GET /time HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /time HTTP/1.1\r\nHost: x\r\n\r\n")
        let (closeText, closed) = close.readUntilClosed()
        #expect(closed)
        let closeResponses = RawResponse.parseAll(Array(closeText.utf8))
        #expect(closeResponses.count == 1)
        #expect(closeResponses.first?.header("Connection") == "close")

        let http10 = try RawConnection(port: server.port)
        http10.send("GET /time HTTP/1.0\r\n\r\n")
        let (http10Text, http10Closed) = http10.readUntilClosed()
        #expect(http10Closed)
        #expect(http10Text.hasPrefix("HTTP/1.1 200 "))
        #expect(RawResponse.parseAll(Array(http10Text.utf8)).first?.header("Connection") == "close")

        let keepAlive10 = try RawConnection(port: server.port)
        keepAlive10.send("GET /time HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /time HTTP/1.0\r\n\r\n")
        let (keptText, keptClosed) = keepAlive10.readUntilClosed()
        let kept = RawResponse.parseAll(Array(keptText.utf8))
        #expect(keptClosed && kept.count == 2)
        #expect(kept.first?.header("Connection") == "keep-alive")
        #expect(kept.last?.header("Connection") == "close")
        server.stop()
    }

    @Test func expectContinueAndChunkedBodies() throws {
        let server = try ServerProcess(["--mode", "production"])
        let connection = try RawConnection(port: server.port)
        let body = #"{"desiredCapacity": 7}"#
        connection.send(patchHead + "Expect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        let interim = connection.readResponses(1, timeout: 5)
        #expect(interim.first?.statusLine == "HTTP/1.1 100 Continue")
        connection.send(body)
        let final = connection.readResponses(1)
        #expect(final.first?.status == 200)
        #expect(final.first?.body.contains("\"desiredCapacity\": 7") == true)

        let chunked = try RawConnection(port: server.port)
        chunked.send(patchHead + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"des\r\n"
                     + "13;ext=1\r\niredCapacity\": 8.5}\r\n0\r\nTrailer: ignored\r\n\r\n")
        let response = try #require(chunked.readResponses(1).first)
        #expect(response.status == 200)
        #expect(response.body.contains("\"desiredCapacity\": 8.5"))
        server.stop()
    }

    /// Every smuggling vector RFC 9112 closes: 400, `Connection: close`, and the connection really closes, so
    /// nothing after the bad request is ever read as a request of its own.
    @Test(arguments: [
        "POST /time HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "PATCH /v1/scalableTargetDimensions/a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nxxxxx",
        "PATCH /v1/scalableTargetDimensions/a HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 4\r\n\r\nxxxx",
        "PATCH /v1/scalableTargetDimensions/a HTTP/1.1\r\nHost: x\r\nContent-Length: +4\r\n\r\nxxxx",
        "PATCH /v1/scalableTargetDimensions/a HTTP/1.1\r\nHost: x\r\nContent-Length: 0x4\r\n\r\nxxxx",
        "PATCH /v1/scalableTargetDimensions/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "PATCH /v1/scalableTargetDimensions/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "PATCH /v1/scalableTargetDimensions/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
        "PATCH /v1/scalableTargetDimensions/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4;\r\nxxxx\r\n0\r\n\r\n",
        "PATCH /v1/scalableTargetDimensions/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nx\r\n0\r\n\r\n",
        "GET /time HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n",
        "GET /time HTTP/1.1\nHost: x\n\n",
        "GET /time HTTP/1.1\r\nHost: x\rX: y\r\n\r\n",
        "GET /time HTTP/1.1\r\nHost: x\r\nX-A: a\u{01}b\r\n\r\n",
        "GET /time HTTP/1.1\r\nHo st: x\r\n\r\n",
        "GET /time HTTP/1.1\r\n\r\n",
        "GET /time HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
        "GET  /time HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /time HTTP/1.1 \r\nHost: x\r\n\r\n",
        "GET time HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /time http/1.1\r\nHost: x\r\n\r\n",
    ])
    func smugglingVectorsAreRefusedAndClosed(request: String) throws {
        let server = try ServerProcess()
        let connection = try RawConnection(port: server.port)
        // A smuggled second request rides behind each bad one; it must never be answered.
        connection.send(request + "GET /v1/scalableTargetDimensions/smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
        let (text, closed) = connection.readUntilClosed()
        let responses = RawResponse.parseAll(Array(text.utf8))
        #expect(closed)
        #expect(responses.count == 1, "\(request.debugDescription) → \(text)")
        #expect(responses.first?.status == 400, "\(request.debugDescription) → \(text)")
        #expect(responses.first?.header("Connection") == "close")
        #expect(responses.first?.body.hasPrefix("{\"message\": ") == true)
        #expect(!text.contains("smuggled"))
        server.stop()
    }

    @Test func unsupportedVersionsAndMethods() throws {
        let server = try ServerProcess()
        for (request, status) in [("GET /time HTTP/2.0\r\nHost: x\r\n\r\n", 505),
                                  ("GET /time HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", 417),
                                  ("BREW /time HTTP/1.1\r\nHost: x\r\n\r\n", 405)] {
            let connection = try RawConnection(port: server.port)
            connection.send(request)
            let response = connection.readResponses(1).first
            #expect(response?.status == status, "\(request.debugDescription)")
        }
        server.stop()
    }

    @Test func limitsHaveTheirOwnStatuses() throws {
        let server = try ServerProcess(["--max-request-line-bytes", "200", "--max-header-bytes", "300",
                                        "--max-header-count", "5"])
        let cases: [(String, Int)] = [
            ("GET /" + String(repeating: "a", count: 300) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
            ("GET /time HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 400) + "\r\n\r\n", 431),
            ("GET /time HTTP/1.1\r\nHost: x\r\n" + (1...6).map { "X-\($0): y\r\n" }.joined() + "\r\n", 431),
        ]
        for (request, status) in cases {
            let connection = try RawConnection(port: server.port)
            connection.send(request)
            let (text, closed) = connection.readUntilClosed()
            #expect(closed)
            #expect(RawResponse.parseAll(Array(text.utf8)).first?.status == status)
        }
        // One under each limit passes.
        let fine = try RawConnection(port: server.port)
        fine.send("GET /time HTTP/1.1\r\nHost: x\r\n" + (1...4).map { "X-\($0): y\r\n" }.joined() + "\r\n")
        #expect(fine.readResponses(1).first?.status == 200)
        server.stop()
    }

    @Test func slowClientsAreTimedOut() throws {
        let server = try ServerProcess(["--header-timeout", "0.5", "--body-timeout", "0.5", "--idle-timeout", "1"])
        let started = Date()
        let slowHead = try RawConnection(port: server.port)
        slowHead.send("GET /time HTTP/1.1\r\nHost: x\r\n")
        let slowBody = try RawConnection(port: server.port)
        slowBody.send(patchHead + "Content-Length: 30\r\n\r\n{\"desired")
        let idle = try RawConnection(port: server.port)
        idle.send("GET /time HTTP/1.1\r\nHost: x\r\n\r\n")

        let head = slowHead.readUntilClosed()
        #expect(head.closed && RawResponse.parseAll(Array(head.text.utf8)).first?.status == 408)
        let body = slowBody.readUntilClosed()
        #expect(body.closed && RawResponse.parseAll(Array(body.text.utf8)).first?.status == 408)
        let kept = idle.readUntilClosed()
        #expect(kept.closed && RawResponse.parseAll(Array(kept.text.utf8)).first?.status == 200)
        // Generous bound: the point is that they close at all, not how fast on a busy machine.
        #expect(Date().timeIntervalSince(started) < 15)
        // Meanwhile the server answered the slow clients' neighbours.
        #expect(try curl(server.baseURL + "/time").status == 200)
        server.stop()
    }

    /// The idle timeout counts from the last answer: a keep-alive connection in steady use outlives it many times.
    @Test func aBusyKeepAliveConnectionIsNeverIdle() throws {
        // Idle timeout 2 s, a request every 0.2 s for 6 s: generous margins for a loaded machine.
        let server = try ServerProcess(["--idle-timeout", "2", "--header-timeout", "2"])
        let connection = try RawConnection(port: server.port)
        let started = Date()
        var answered = 0
        while Date().timeIntervalSince(started) < 6 {
            connection.send("GET /time HTTP/1.1\r\nHost: x\r\n\r\n")
            guard connection.readResponses(1, timeout: 5).first?.status == 200 else { break }
            answered += 1
            usleep(200_000)
        }
        #expect(Date().timeIntervalSince(started) >= 6, "the connection was closed after \(answered) answers")
        // And once it really idles, it is closed.
        #expect(connection.readUntilClosed(timeout: 10).closed)
        server.stop()
    }

    /// A client that sends requests but never reads the answers is cut off once its socket buffers are full
    /// and the write timeout passes; it cannot pin the server's memory. (The rule itself, to the millisecond, is a
    /// table row in HTTPServerTests; this checks that the real server applies it.)
    @Test func clientsThatNeverReadAreCutOff() throws {
        let writeTimeout: TimeInterval = 1
        let server = try ServerProcess(["--write-timeout", "\(Int(writeTimeout))", "--idle-timeout", "300"])
        let connection = try RawConnection(port: server.port)
        let request = Array("GET /v1/scalableTargetDimensions/reader HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        var batch: [UInt8] = []
        for _ in 0..<1000 { batch += request }
        var sentRequests = 0
        let deadline = Date().addingTimeInterval(20)
        // Send until the kernel takes no more: the server's answers are not read, so it stops making progress
        // and, after the write timeout, cuts the connection (sends then fail).
        while Date() < deadline {
            let sent = connection.sendWithoutBlocking(batch)
            if sent <= 0 {
                usleep(200_000)
                if connection.sendWithoutBlocking(batch) <= 0 { break }
                continue
            }
            sentRequests += sent / request.count
        }
        // Still without reading (reading would let the server make progress again): wait for its FIN or reset.
        // Only the write timeout can cut this connection (the idle timeout is 300 s), so however slow the machine
        // (ThreadSanitizer, 2 cores), it happens; the bound only stops a broken server from hanging the suite.
        let cut = connection.waitUntilPeerHangsUp(timeout: 120 * writeTimeout)
        #expect(cut, "the server did not cut a client that never reads")
        let (text, closed) = connection.readUntilClosed(timeout: 120 * writeTimeout)
        let answered = RawResponse.parseAll(Array(text.utf8)).count
        #expect(closed)
        #expect(answered < sentRequests, "answered \(answered) of \(sentRequests)")
        #expect(try curl(server.baseURL + "/time").status == 200)
        server.stop()
    }

    @Test func connectionsPastTheLimitAreRefusedPolitely() throws {
        let server = try ServerProcess(["--max-connections", "3", "--event-loops", "1"])
        let held = try (0..<3).map { _ in try RawConnection(port: server.port) }
        for connection in held {
            connection.send("GET /time HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(connection.readResponses(1).first?.status == 200)
        }
        let extra = try RawConnection(port: server.port)
        let (text, closed) = extra.readUntilClosed()
        #expect(closed)
        let refusal = RawResponse.parseAll(Array(text.utf8)).first
        #expect(refusal?.status == 503)
        #expect(refusal?.header("Connection") == "close")
        #expect(refusal?.body.hasPrefix("{\"message\": ") == true)
        // Once one leaves, there is room again.
        held[0].finishSending()
        _ = held[0].readUntilClosed()
        var status: Int?
        let deadline = Date().addingTimeInterval(10)
        while status != 200 && Date() < deadline {  // the server notices the close on its next loop turn
            let later = try RawConnection(port: server.port)
            later.send("GET /time HTTP/1.1\r\nHost: x\r\n\r\n")
            status = later.readResponses(1, timeout: 5).first?.status
            if status != 200 { usleep(100_000) }
        }
        #expect(status == 200)
        server.stop()
    }

    @Test func sigtermFinishesInFlightRequestsAndClosesIdleOnes() throws {
        let server = try ServerProcess(["--mode", "production", "--shutdown-grace", "10"])
        let idle = try RawConnection(port: server.port)
        idle.send("GET /time HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(idle.readResponses(1).first?.status == 200)

        let inFlight = try RawConnection(port: server.port)
        let body = #"{"desiredCapacity": 12}"#
        inFlight.send(patchHead + "Content-Length: \(body.utf8.count)\r\n\r\n" + String(body.prefix(10)))
        usleep(200_000)
        server.signal(SIGTERM)
        // The idle connection closes once its last call is over...
        #expect(idle.readUntilClosed(timeout: 5).closed)
        // ...the half-sent request is still finished, and told the connection closes.
        inFlight.send(String(body.dropFirst(10)))
        expectLastAnswerThenClose(inFlight)
        #expect(server.wait(timeout: 15) == 0)
        // It was durable: a new server on the same state sees it.
        try server.start()
        #expect(try curl(server.baseURL + "/v1/scalableTargetDimensions/raw").json?["desiredCapacity"] as? Double == 12)
        server.stop()
    }

    /// A client that picks its pooled keep-alive connection just as shutdown begins is answered, not reset.
    @Test func anIdleConnectionMaySendOneLastRequestAfterSigterm() throws {
        let server = try ServerProcess(["--shutdown-grace", "10"])
        let pooled = try RawConnection(port: server.port)
        pooled.send("GET /time HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(pooled.readResponses(1).first?.status == 200)
        server.signal(SIGTERM)
        // The request must arrive after the drain began (else it is answered keep-alive): wait until the server
        // says so by refusing new connections, which it does in the same step as giving idle ones their last call.
        #expect(waitUntilRefusingConnections(server, timeout: 10))
        pooled.send("GET /time HTTP/1.1\r\nHost: x\r\n\r\n")
        expectLastAnswerThenClose(pooled)
        #expect(server.wait(timeout: 15) == 0)
    }

    /// Waits until no listener accepts: every loop closes its listeners and starts draining in one step.
    private func waitUntilRefusingConnections(_ server: ServerProcess, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard (try? RawConnection(port: server.port)) != nil else { return true }
            usleep(5_000)
        }
        return false
    }

    /// During shutdown: one 200 that says `Connection: close`, then the server closes.
    private func expectLastAnswerThenClose(_ connection: RawConnection) {
        let (text, closed) = connection.readUntilClosed()
        let response = RawResponse.parseAll(Array(text.utf8)).first
        #expect(response?.status == 200)
        #expect(response?.header("Connection") == "close")
        #expect(closed)
    }

    @Test func shutdownGraceBoundsTheWait() throws {
        let server = try ServerProcess(["--shutdown-grace", "1", "--header-timeout", "60"])
        let stalled = try RawConnection(port: server.port)
        stalled.send("GET /time HTTP/1.1\r\nHost: x\r\n")  // never finished
        usleep(200_000)
        let started = Date()
        server.signal(SIGTERM)
        #expect(server.wait(timeout: 20) == 0)
        #expect(Date().timeIntervalSince(started) < 10)
    }
}

/// POLLRDHUP (Linux 2.6.17): the peer shut down its sending side. Swift's Glibc module leaves it out (it is behind
/// _GNU_SOURCE).
private let pollReadHangUp: Int16 = 0x2000

private extension RawConnection {
    /// Waits, without reading, until the server closes or resets the connection (its FIN shows as POLLRDHUP
    /// even while unread answers are queued); false if `timeout` passes first.
    func waitUntilPeerHangsUp(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var poller = pollfd(fd: fd, events: pollReadHangUp, revents: 0)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return false }
            poller.revents = 0
            if poll(&poller, 1, Int32(min(remaining, 1) * 1000)) > 0,
               poller.revents & (pollReadHangUp | Int16(POLLHUP | POLLERR)) != 0 {
                return true
            }
        }
    }
}
