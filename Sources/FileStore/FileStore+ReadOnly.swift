import Glibc
import Scaling
import StoreContract
import SystemIO

/// Reading a store that a server holds, without its lock: what `capacityd dimensions list|get` and `capacityd
/// webhooks list` show while the server runs. The writer publishes, after each fdatasync and before it answers anyone, how much of the log is
/// durable and which generation of the log that is (`dimensions.synced`); a reader takes the snapshot and that
/// much of the log, and no more, and reads again if the generation changed meanwhile. So it sees every change
/// acknowledged before it began, and never a record that was written but is not yet durable (which a failed sync
/// would take back), nor a torn tail.
extension FileStore {
    static let syncedName = "dimensions.synced"

    /// The log's generation and durable length as 32 bytes, each followed by its complement, so a reader that
    /// met a write half-way can tell.
    static func encodeSynced(generation: UInt64, length: Int) -> [UInt8] {
        [generation, ~generation, UInt64(length), ~UInt64(length)].flatMap { value in
            (0..<8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        }
    }

    static func decodeSynced(_ bytes: [UInt8]) -> (generation: UInt64, length: Int)? {
        guard bytes.count == 32 else { return nil }
        let words = (0..<4).map { word in
            bytes[(word * 8)..<(word * 8 + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
        guard words[0] == ~words[1], words[2] == ~words[3], let length = Int(exactly: words[2]) else { return nil }
        return (words[0], length)
    }

    /// Writer thread only. A reader that finds an older length sees an older, consistent state; it can never see
    /// a newer one than is durable. If the length cannot be published, readers are refused rather than shown an
    /// old state as the current one.
    func publishSyncedLength(_ length: Int) {
        do {
            try FileSystem.write(Self.encodeSynced(generation: logGeneration, length: length), to: synced, at: 0)
        } catch {
            FileSystem.printError("capacityd: could not publish the store's durable length: \(error)")
            try? FileSystem.truncate(synced, to: 0)
        }
    }

    /// The dimensions durable in `directory` now, sorted by id, whether or not a server holds the store.
    public static func readCommitted(directory: String) throws(OpenError) -> [Dimension] {
        try readCommittedReplay(directory: directory).dimensions.values.sorted { $0.id < $1.id }
    }

    /// The outbox's events durable in `directory` now, by id, revision and receiver, whether or not a server holds
    /// the store.
    public static func readCommittedOutbox(directory: String) throws(OpenError) -> [OutboxEntry] {
        try readCommittedReplay(directory: directory).outbox.sorted
    }

    private static func readCommittedReplay(directory: String) throws(OpenError) -> Replay {
        let snapshotPath = directory + "/" + snapshotName
        let syncedPath = directory + "/" + syncedName
        for _ in 0..<100 {
            do {
                // The log's generation before and after: a compaction in between (it publishes the new generation
                // before it empties the log) or a restart of the server means the log read may be another's.
                guard let first = try FileSystem.read(syncedPath).flatMap(decodeSynced) else {
                    usleep(1_000)
                    continue
                }
                let snapshot = try FileSystem.read(snapshotPath) ?? []
                let log = try FileSystem.read(directory + "/" + logName) ?? []
                guard let second = try FileSystem.read(syncedPath).flatMap(decodeSynced),
                      second.generation == first.generation else { continue }
                let synced = first.length
                var replay = Replay()
                let snapshotScan = RecordFormat.scan(snapshot)
                if let bad = snapshotScan.firstBad {
                    throw OpenError(description: "\(snapshotPath) is damaged at byte \(bad.offset): \(bad.reason)")
                }
                let logScan = RecordFormat.scan(Array(log.prefix(synced)))
                if let bad = logScan.firstBad {
                    throw OpenError(description: "\(directory)/\(logName) is damaged at byte \(bad.offset): \(bad.reason)")
                }
                replay.apply(snapshotScan.records + logScan.records)
                return replay
            } catch let error as OpenError {
                throw error
            } catch {
                throw OpenError(description: "state directory \(directory): \(error)")
            }
        }
        throw OpenError(description: "state directory \(directory): no durable length published in \(syncedName) (is the server's disk failing?), or it kept changing; try again")
    }
}
