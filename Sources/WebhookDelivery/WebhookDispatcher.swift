import CapacityAPI
import StoreContract
import SystemIO
import Webhooks

/// Delivers the outbox's events to their receivers, signed (Standard Webhooks), on threads of its own: the API's
/// event loops never wait for a receiver. Each thread claims one due event at a time (`EventOutbox.claimDue`: in
/// revision order per id and receiver, leased so a delivery cut short by a crash is made again), makes one attempt
/// bounded by the sender's timeout and answer cap, and settles it: delivered on a 2xx, otherwise the next attempt
/// after the schedule's delay with jitter, or dropped after the last. The threads bound the concurrent deliveries.
/// Each thread keeps its connections to the receivers (`ReceiverConnections`) from one attempt to the next.
public final class WebhookDispatcher: Sendable {
    public struct Configuration: Sendable {
        /// By the text each was configured with, which the store's events name.
        public var receivers: [String: WebhookEndpoint]
        public var secret: WebhookSecret
        public var sender: WebhookSender
        public var schedule: RetrySchedule
        /// Deliveries under way at once at most: one thread each.
        public var concurrency: Int

        public init(receivers: [String: WebhookEndpoint], secret: WebhookSecret, sender: WebhookSender,
                    schedule: RetrySchedule, concurrency: Int = 4) {
            self.receivers = receivers
            self.secret = secret
            self.sender = sender
            self.schedule = schedule
            self.concurrency = concurrency
        }
    }

    /// Attempts since start, by how they ended.
    public struct Figures: Sendable, Equatable {
        public var delivered: UInt64 = 0
        public var failed: UInt64 = 0
        public var dropped: UInt64 = 0
    }

    private struct State {
        var stopping = false
        /// Bumped by `wake`, so a thread that found nothing due looks again at once.
        var wakeups: UInt64 = 0
        /// Threads waiting for something to fall due: a wake with none waiting costs nothing more.
        var idle = 0
        var figures = Figures()
    }

    private let configuration: Configuration
    private let outbox: any EventOutbox
    /// Where the line of each attempt goes (the access log); nil writes none.
    private let log: (@Sendable ([UInt8]) -> Void)?
    private let lock = ConditionLock()
    private nonisolated(unsafe) var state = State()
    private let threads = Locked<[PosixThread]>([])

    /// A claim outlives the attempts of its batch, made one after the other (their timeouts, each with a second
    /// to spare), and their settlement (a database statement's timeout and more). It is also how long another
    /// instance waits before it delivers again what an instance killed mid-delivery had claimed.
    private var leaseMilliseconds: Int64 {
        let timeout = configuration.sender.timeout.components
        return Int64(Self.claimsAtOnce) * (timeout.seconds + 1) * 1000 + 10_000
    }

    public init(_ configuration: Configuration, outbox: any EventOutbox, log: (@Sendable ([UInt8]) -> Void)?) {
        self.configuration = configuration
        self.outbox = outbox
        self.log = log
    }

    public func start() throws(SystemError) {
        for index in 0..<configuration.concurrency {
            let thread = try PosixThread(name: "webhook-\(index)") { [self] in run() }
            threads.withLock { $0.append(thread) }
        }
    }

    /// Something may be due now (a change was made durable): an idle thread looks at once. Busy threads claim
    /// again when their attempt ends, so every change (thousands a second) wakes no more than one thread.
    public func wake() {
        lock.withLock {
            state.wakeups &+= 1
            if state.idle > 0 { lock.signal() }
        }
    }

    /// Stops the threads once their attempts under way end (each within the sender's timeout), closing their
    /// connections. What is not delivered stays in the outbox.
    public func stop() {
        lock.withLock {
            state.stopping = true
            lock.broadcast()
        }
        for thread in threads.withLock({ $0 }) { thread.join() }
        threads.withLock { $0.removeAll() }
    }

    public var figures: Figures { lock.withLock { state.figures } }

    private func run() {
        var random = Jitter()
        let connections = ReceiverConnections()
        defer { connections.closeAll() }
        while true {
            connections.closeIdle()
            let (stopping, wakeups) = lock.withLock { (state.stopping, state.wakeups) }
            if stopping { return }
            // A few at a time when many are due (a receiver catching up): their settlements share one write.
            switch outbox.claimDue(now: Clock.epochMilliseconds(), limit: Self.claimsAtOnce, leaseMilliseconds: leaseMilliseconds) {
            case .success(let entries) where !entries.isEmpty:
                var settlements: [Settlement] = []
                for entry in entries { settlements.append(attempt(entry, over: connections, random: &random)) }
                // A settlement that fails leaves the claims to lapse: the attempts are made again.
                _ = outbox.settle(settlements)
            case .success, .failure:
                // Nothing due (or the store cannot answer now): wait for a change, or look again in a second
                // for retries falling due (and for kept connections to close).
                lock.withLock {
                    if !state.stopping && state.wakeups == wakeups {
                        state.idle += 1
                        lock.wait(untilMonotonicMicroseconds: Clock.monotonicMicroseconds() + 1_000_000)
                        state.idle -= 1
                    }
                }
            }
        }
    }

    /// Events one thread claims at once at most.
    static let claimsAtOnce = 8

    /// One attempt, counted and logged; its settlement is the caller's to write.
    private func attempt(_ entry: OutboxEntry, over connections: ReceiverConnections, random: inout Jitter) -> Settlement {
        let key = entry.event.key
        let attempt = entry.attempts + 1
        let outcome: DeliveryOutcome
        if let endpoint = configuration.receivers[key.receiver] {
            outcome = configuration.sender.deliver(DimensionEventJSON.encode(entry.event),
                                                   id: OutboxEntryJSON.messageID(key), to: endpoint,
                                                   secret: configuration.secret, over: connections)
        } else {
            outcome = DeliveryOutcome(status: nil, reason: "the receiver is no longer configured", elapsed: .zero)
        }
        let settlement: AttemptOutcome
        if outcome.isDelivered {
            settlement = .delivered
        } else if configuration.receivers[key.receiver] != nil,
                  let delay = configuration.schedule.delay(afterAttempt: attempt, using: &random) {
            let (seconds, attoseconds) = delay.components
            settlement = .retry(at: Clock.epochMilliseconds() + seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        } else {
            settlement = .dropped
        }
        lock.withLock {
            switch settlement {
            case .delivered: state.figures.delivered += 1
            case .retry: state.figures.failed += 1
            case .dropped: state.figures.dropped += 1
            }
        }
        log?(AttemptLine.encode(key, attempt: attempt, outcome: outcome, settlement: settlement))
        return Settlement(entry, settlement)
    }
}

/// The random source of a thread's retry jitter: SplitMix64, seeded from the system's generator. A generator with
/// state of its own, because ThreadSanitizer's access checks fault on the address of an empty one passed `inout`
/// (`SystemRandomNumberGenerator` has no stored properties).
struct Jitter: RandomNumberGenerator {
    private var state = UInt64.random(in: .min ... .max)

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
