import Glibc
import Scaling
import SystemIO

/// Reading a store that a server holds, without its lock: what `capacityd dimensions list|get` show while the
/// server runs. The writer publishes, after each fdatasync and before it answers anyone, how much of the log is
/// durable (`dimensions.synced`); a reader takes the snapshot and that much of the log, and no more. So it sees
/// every change acknowledged before it began, and never a record that was written but is not yet durable (which a
/// failed sync would take back), nor a torn tail.
extension FileStore {
    static let syncedName = "dimensions.synced"

    /// The durable length of the log as 16 bytes: the value and its complement, so a reader that met a write
    /// half-way can tell.
    static func encodeSyncedLength(_ length: Int) -> [UInt8] {
        let value = UInt64(length)
        return (0..<8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: ~value >> ($0 * 8)) }
    }

    static func decodeSyncedLength(_ bytes: [UInt8]) -> Int? {
        guard bytes.count == 16 else { return nil }
        let value = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let complement = bytes[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return value == ~complement ? Int(value) : nil
    }

    /// Writer thread only. A reader that finds an older length sees an older, consistent state; it cannot see a
    /// newer one than is durable.
    func publishSyncedLength(_ length: Int) {
        do {
            try FileSystem.write(Self.encodeSyncedLength(length), to: synced, at: 0)
        } catch {
            FileSystem.printError("capacityd: could not publish the store's durable length: \(error)")
        }
    }

    /// The dimensions durable in `directory` now, sorted by id, whether or not a server holds the store.
    public static func readCommitted(directory: String) throws(OpenError) -> [Dimension] {
        let snapshotPath = directory + "/" + snapshotName
        for _ in 0..<100 {
            do {
                // A compaction between the two looks replaces the snapshot (a new file) and empties the log: what
                // was read in between may miss records, so it is read again.
                let before = FileSystem.identity(snapshotPath)
                let synced = try FileSystem.read(directory + "/" + syncedName).flatMap(decodeSyncedLength)
                let snapshot = try FileSystem.read(snapshotPath) ?? []
                let log = try FileSystem.read(directory + "/" + logName) ?? []
                guard FileSystem.identity(snapshotPath) == before, let synced else { continue }
                var dimensions: [DimensionID: Dimension] = [:]
                let snapshotScan = RecordFormat.scan(snapshot)
                if let bad = snapshotScan.firstBad {
                    throw OpenError(description: "\(snapshotPath) is damaged at byte \(bad.offset): \(bad.reason)")
                }
                let logScan = RecordFormat.scan(Array(log.prefix(synced)))
                if let bad = logScan.firstBad {
                    throw OpenError(description: "\(directory)/\(logName) is damaged at byte \(bad.offset): \(bad.reason)")
                }
                replay(snapshotScan.records + logScan.records, into: &dimensions)
                return dimensions.values.sorted { $0.id < $1.id }
            } catch let error as OpenError {
                throw error
            } catch {
                throw OpenError(description: "state directory \(directory): \(error)")
            }
        }
        throw OpenError(description: "state directory \(directory) kept changing under the reader (or has no \(syncedName)); try again")
    }
}
