import SystemIO
import EventLoop
import Glibc
import HTTP1
import Synchronization

/// Counters and flags shared by every loop of one server.
final class SharedServerState: Sendable {
    let openConnections = Atomic<Int>(0)
    let tlsHandshakes = Atomic<Int>(0)
    let tlsHandshakeFailures = Atomic<Int>(0)
}

/// What the connections of one event loop share. Used only on that loop's thread.
final class LoopContext {
    let loop: EventLoop
    let configuration: ServerConfiguration
    let accessLog: AccessLogFormatter?
    let observer: RequestObserver?
    /// Whether finished requests are recorded at all (an access log or an observer).
    let recordsRequests: Bool
    let shared: SharedServerState
    /// The timeouts and pipelining bound of every connection on this loop.
    let connectionLimits: ConnectionStateMachine.Limits

    var connections: [ObjectIdentifier: Connection] = [:]
    var listeners: [Listener] = []
    /// Read once per turn, as the loop's wait returns (`onWake`); timeouts are measured against it, and the access
    /// log's times are it.
    private(set) var now: Int64 = Clock.monotonicMilliseconds()
    private(set) var epochMilliseconds: Int64 = Clock.epochMilliseconds()
    /// `Server`, and the `Date` header value formatted once per second (RFC 9110 §6.6.1 needs no finer
    /// resolution).
    private(set) var commonHead: CommonHead
    private var dateSecond = -1
    /// One buffer for every read on this loop: bytes are copied out of it into the connection that owns them.
    var readBuffer = [UInt8](repeating: 0, count: 65536)
    private var logBuffer: [UInt8] = []
    /// Connections with output to send at the end of this turn.
    private var sendsQueued: [Connection] = []
    private var timestampMilliseconds: Int64 = -1
    private var timestampBytes: [UInt8] = []
    private var lastSweep: Int64 = 0
    private(set) var draining = false
    private var drainDeadline: Int64 = .max

    init(loop: EventLoop, configuration: ServerConfiguration, accessLog: AccessLogFormatter?,
         observer: RequestObserver?, shared: SharedServerState) {
        self.loop = loop
        self.configuration = configuration
        self.accessLog = accessLog
        self.observer = observer
        recordsRequests = accessLog != nil || observer != nil
        self.shared = shared
        commonHead = CommonHead(serverName: Array(configuration.serverName.utf8), date: [])
        connectionLimits = ConnectionStateMachine.Limits(configuration)
        refreshClock()
        logBuffer.reserveCapacity(65536)
    }

    func refreshClock() {
        now = Clock.monotonicMilliseconds()
        epochMilliseconds = Clock.epochMilliseconds()
        let second = Int(epochMilliseconds / 1000)
        if second != dateSecond {
            dateSecond = second
            commonHead.setDate(WallClock.imfFixdate(epochSeconds: second))
        }
    }

    /// The one precise clock reading connections take, for request durations in the access log: `now` (a
    /// millisecond reading per loop turn) is right for deadlines, too coarse for a request answered in 30 µs.
    func requestClockMicroseconds() -> Int64 {
        Clock.monotonicMicroseconds()
    }

    /// `epochMilliseconds` as the access log writes it, formatted once per millisecond rather than per request
    /// (callgrind: 650 instructions of each logged request); empty without an access log.
    func timestamp() -> [UInt8] {
        guard accessLog != nil else { return [] }
        if timestampMilliseconds != epochMilliseconds {
            timestampMilliseconds = epochMilliseconds
            timestampBytes.removeAll(keepingCapacity: true)
            WallClock.appendISO8601(epochMilliseconds: epochMilliseconds, to: &timestampBytes)
        }
        return timestampBytes
    }

    /// Runs after every batch of events: sends what the turn's answers queued, at most four times a second
    /// enforces timeouts by looking at every connection's deadline (sending what that queued), and flushes the
    /// access log. The clock is the turn's, read as the loop woke (`refreshClock`): a deadline that passes during a
    /// long turn is seen by the next turn's sweep, within the sweeps' own 250 ms.
    func tick() {
        sendQueuedOutput()
        if now - lastSweep >= 250 {
            sweep()
            sendQueuedOutput()
        }
        flushAccessLog()
    }

    private func sweep() {
        lastSweep = now
        for connection in connections.values { connection.checkDeadline(now: now) }
        for listener in listeners { listener.resumeIfPaused(now: now) }
        if draining {
            if now >= drainDeadline {
                for connection in connections.values { connection.close() }
            }
            stopIfDrained()
        }
    }

    /// A connection's output is sent once the turn's events are handled, not as each answer is made: the
    /// answers of a busy turn then leave together, after every ready connection was read and answered, as Redis
    /// does before it sleeps. A client sleeping in its own poll is woken by the first and finds the others
    /// ready; sends spread over the turn would wake it again and again, and each wake-up costs the sender system
    /// time. The price is latency under load: an answer waits for the rest of its turn's work (other connections'
    /// requests, handshakes, accepts, the store's answers).
    func sendAtEndOfTurn(_ connection: Connection) {
        sendsQueued.append(connection)
    }

    private func sendQueuedOutput() {
        // A send never queues another, but indexing keeps it correct if one did, and keeps the array's storage.
        var index = 0
        while index < sendsQueued.count {
            sendsQueued[index].sendQueuedOutput()
            index += 1
        }
        sendsQueued.removeAll(keepingCapacity: true)
    }

    func record(_ record: AccessRecord) {
        observer?.observe(record)
        accessLog?.append(record, to: &logBuffer)
        if logBuffer.count > 60_000 { flushAccessLog() }
    }

    private func flushAccessLog() {
        guard !logBuffer.isEmpty else { return }
        // stdout closed or broken: the access log is lost, the server is not.
        try? FileSystem.writeAll(logBuffer, to: 1)
        logBuffer.removeAll(keepingCapacity: true)
    }

    func add(_ connection: Connection) {
        connections[ObjectIdentifier(connection)] = connection
    }

    func remove(_ connection: Connection) {
        connections[ObjectIdentifier(connection)] = nil
        shared.openConnections.subtract(1, ordering: .relaxed)
        if draining { stopIfDrained() }
    }

    /// Graceful shutdown: stop accepting (after taking in what the kernel already accepted), let busy connections
    /// finish their current request and idle ones send one last request, each answered with `Connection: close`,
    /// and cut whatever is left when the grace period ends. No request that reached us is answered with a reset.
    func beginDraining() {
        guard !draining else { return }
        draining = true
        drainDeadline = now + configuration.shutdownGraceMilliseconds
        for listener in listeners { listener.closeAfterAcceptingWaiting() }
        listeners.removeAll()
        let lastCall = now + min(Self.lastCallMilliseconds, configuration.shutdownGraceMilliseconds)
        for connection in connections.values { connection.beginDraining(idleUntil: lastCall) }
        stopIfDrained()
    }

    /// How long an idle keep-alive connection may still send a request once shutdown begins. A client that picks a
    /// pooled connection just as the server closes it sees the connection fail; a short last call answers that
    /// request instead (with `Connection: close`), and clients that really are idle are let go soon after.
    static let lastCallMilliseconds: Int64 = 1000

    private func stopIfDrained() {
        if connections.isEmpty {
            flushAccessLog()
            loop.stop()
        }
    }
}
