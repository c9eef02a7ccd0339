import Glibc
import Scaling
import SystemIO

extension FileStore {
    struct Recovered {
        var dimensions: [DimensionID: Dimension]
        var log: FileDescriptor
        var logSize: Int
    }

    /// Loads the snapshot, replays the log over it, and cuts a torn tail off the log. A damaged snapshot, or a
    /// bad record with whole records after it, is not a crash artefact: the store refuses to start rather than
    /// silently drop acknowledged changes.
    static func recover(directory: String) throws(OpenError) -> Recovered {
        let snapshotPath = directory + "/" + snapshotName
        let logPath = directory + "/" + logName
        do {
            try FileSystem.removeIfPresent(snapshotPath + ".tmp")
            var dimensions: [DimensionID: Dimension] = [:]
            if let bytes = try FileSystem.read(snapshotPath) {
                let scan = RecordFormat.scan(bytes)
                if let bad = scan.firstBad {
                    throw OpenError(description: "\(snapshotPath) is damaged at byte \(bad.offset): \(bad.reason)")
                }
                replay(scan.records, into: &dimensions)
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
            replay(scan.records, into: &dimensions)
            return Recovered(dimensions: dimensions, log: log, logSize: scan.validLength)
        } catch let error as OpenError {
            throw error
        } catch {
            throw OpenError(description: "state directory \(directory): \(error)")
        }
    }

    /// Applies records in file order: a later state of an id replaces an earlier one, a deletion removes it.
    static func replay(_ records: [StoredRecord], into dimensions: inout [DimensionID: Dimension]) {
        for record in records {
            switch record {
            case .dimension(let dimension): dimensions[dimension.id] = dimension
            case .deletion(let id): dimensions[id] = nil
            }
        }
    }
}
