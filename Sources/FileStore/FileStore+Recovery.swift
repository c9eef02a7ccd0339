import Glibc
import Scaling
import StoreContract
import SystemIO

extension FileStore {
    struct Recovered {
        var replay: Replay
        var log: FileDescriptor
        var logSize: Int
        var snapshotSize: Int
        var snapshotEvents: Int
    }

    /// Loads the snapshot, replays the log over it, and cuts a torn tail off the log. A damaged snapshot, or a
    /// bad record with whole records after it, is not a crash artefact: the store refuses to start rather than
    /// silently drop acknowledged changes.
    static func recover(directory: String) throws(OpenError) -> Recovered {
        let snapshotPath = directory + "/" + snapshotName
        let logPath = directory + "/" + logName
        do {
            try FileSystem.removeIfPresent(snapshotPath + ".tmp")
            var replay = Replay()
            var snapshotSize = 0, snapshotEvents = 0
            if let bytes = try FileSystem.read(snapshotPath) {
                snapshotSize = bytes.count
                let scan = RecordFormat.scan(bytes)
                if let bad = scan.firstBad {
                    throw OpenError(description: "\(snapshotPath) is damaged at byte \(bad.offset): \(bad.reason)")
                }
                replay.apply(scan.records)
                snapshotEvents = scan.records.count(where: \.isEvent)
            }
            let log = try FileSystem.open(logPath, flags: O_RDWR | O_CREAT)
            let bytes = try FileSystem.read(logPath) ?? []
            let scan = RecordFormat.scan(bytes)
            if let bad = scan.firstBad {
                if scan.validAfterBad {
                    throw OpenError(description: "\(logPath) is damaged at byte \(bad.offset) (\(bad.reason)) and whole records follow; refusing to drop them")
                }
                // A torn tail: the last batch was being written when the process or machine died. It was never
                // acknowledged, so it is dropped.
                try FileSystem.truncate(log, to: scan.validLength)
                try FileSystem.fsync(log)
            }
            replay.apply(scan.records)
            return Recovered(replay: replay, log: log, logSize: scan.validLength, snapshotSize: snapshotSize,
                             snapshotEvents: snapshotEvents)
        } catch let error as OpenError {
            throw error
        } catch {
            throw OpenError(description: "state directory \(directory): \(error)")
        }
    }

    /// The state records give when applied in file order: a later state of an id replaces an earlier one, a
    /// deletion removes it, an outbox entry's state replaces its last (a delivered one is removed), and the revision
    /// counter ends above every revision read. A state without a revision
    /// (written before the store kept them) gets the counter's next, so replaying the same files always gives the
    /// same revisions, and a store never gives one of them again.
    struct Replay {
        var dimensions: [DimensionID: Dimension] = [:]
        var revisions = RevisionCounter()
        var outbox = OutboxTable()

        mutating func apply(_ records: [StoredRecord]) {
            for record in records {
                switch record {
                case .dimension(let dimension) where dimension.revision == 0:
                    dimensions[dimension.id] = revisions.stamp(dimension, before: nil)
                case .dimension(let dimension):
                    revisions.observe(dimension.revision)
                    dimensions[dimension.id] = dimension
                case .deletion(let id): dimensions[id] = nil
                case .lastRevision(let revision): revisions.observe(revision)
                case .event(let entry): outbox.apply(.replace(entry))
                case .eventDelivered(let key): outbox.apply(.remove(key))
                }
            }
        }
    }
}
