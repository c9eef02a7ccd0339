import StoreContract
import SystemIO

/// The change listener: how this instance learns of the changes other instances commit. One connection of its own
/// (not from the pool, which is busy with statements) `LISTEN`s on `ChangeNotification.channel`, and a thread of
/// its own waits on its socket and tells the observer of each notification. Started by the first
/// `observeChanges`, so commands that never observe open no extra connection.
///
/// Notifications sent by this instance's own connections (the pool's, by their server process) are left out: the
/// store tells of its own changes as their statements return. A pool connection that is replaced between its
/// write and the notification's arrival makes that one change told twice, which is harmless.
///
/// Notifications are not kept for a session that is not there to hear them: when the connection breaks, the
/// listener reconnects (100 ms after the loss, doubling with each failed attempt, or each connection lost within
/// 5 s of being made, up to 5 s, ±25 %) and, listening again, tells the observer `.unknown`, so whatever waits on
/// a state reads it again.
extension PostgresStore {
    /// `application_name` of the listener's session, unless the URL or `PGAPPNAME` names the sessions.
    static let listenerApplicationName = "capacityd-listener"
    /// How long the listener waits on its socket before it looks whether the store is closing.
    static let listenerWaitMilliseconds: Int32 = 250
    /// How long a listening connection must last for its loss to start the backoff again from 100 ms.
    static let listenerSteadyMicroseconds: Int64 = 5_000_000

    /// Starts the listener once. Its first connection is made here, so that a change committed after
    /// `observeChanges` returns is heard; if that fails, the thread keeps trying and tells `.unknown` once it
    /// listens.
    func startListening() {
        let start = lock.withLock {
            defer { listening = true }
            return !listening && !stopping
        }
        guard start else { return }
        let first = Result { () throws(DatabaseError) in try listeningConnection() }
        if case .failure(let error) = first {
            log("capacityd: the change listener cannot connect, retrying with backoff: \(error)")
        }
        do {
            let thread = try PosixThread(name: "database-listen") { [unowned self] in runListener(first) }
            lock.withLock { listener = thread }
        } catch {
            log("capacityd: could not start the change listener; other instances' changes go unheard: \(error)")
        }
    }

    private func listeningConnection() throws(DatabaseError) -> DatabaseConnection {
        let connection = try DatabaseConnection(settings, applicationName: Self.listenerApplicationName)
        _ = try connection.execute("LISTEN \(ChangeNotification.channel)")
        return connection
    }

    /// Listens until the store closes. A listening connection is also sent `SELECT 1` every
    /// `idleRoundTripMicroseconds`: a server that stopped answering closes nothing, and a listener that only waits
    /// would not notice it was deaf.
    private func runListener(_ first: Result<DatabaseConnection, DatabaseError>) {
        var connection = try? first.get()
        var everListened = connection != nil
        // Changes may have gone unheard: since `observeChanges` returned, or since the connection was lost.
        var missed = connection == nil
        // Failed attempts and short-lived connections in a row: the backoff's attempt.
        var failures = connection == nil ? 1 : 0
        var connectedAt = Clock.monotonicMicroseconds()
        var nextRoundTrip = connectedAt + Self.idleRoundTripMicroseconds
        while !lock.withLock({ stopping }) {
            guard let listening = connection else {
                backOff(attempt: failures)
                if lock.withLock({ stopping }) { break }
                do {
                    connection = try listeningConnection()
                } catch {
                    failures += 1
                    lock.withLock { counters.errors += 1 }
                    continue
                }
                connectedAt = Clock.monotonicMicroseconds()
                nextRoundTrip = connectedAt + Self.idleRoundTripMicroseconds
                if everListened { lock.withLock { counters.listenerReconnects += 1 } }
                everListened = true
                if missed {
                    missed = false
                    log("capacityd: the change listener listens again (\(settings.displayName))")
                    observers.tell([.unknown])
                }
                continue
            }
            do throws(DatabaseError) {
                tell(try listening.notifications(waitingMilliseconds: Self.listenerWaitMilliseconds))
                if Clock.monotonicMicroseconds() >= nextRoundTrip {
                    _ = try listening.execute("SELECT 1")
                    nextRoundTrip = Clock.monotonicMicroseconds() + Self.idleRoundTripMicroseconds
                }
            } catch {
                connection = nil
                missed = true
                let steady = Clock.monotonicMicroseconds() - connectedAt >= Self.listenerSteadyMicroseconds
                failures = steady ? 1 : failures + 1
                lock.withLock { counters.errors += 1 }
                log("capacityd: the change listener's connection was lost, reconnecting: \(error)")
            }
        }
    }

    /// Tells the observer of the changes the notifications name, but this instance's own; a payload that does not
    /// read as one (someone else's `NOTIFY` on the channel) is ignored.
    private func tell(_ notifications: [DatabaseNotification]) {
        guard !notifications.isEmpty else { return }
        let own = lock.withLock { poolBackends }
        observers.tell(notifications.compactMap { notification in
            guard notification.channel == ChangeNotification.channel, !own.contains(notification.senderPID) else { return nil }
            return ChangeNotification.change(notification.payload)
        })
    }
}
