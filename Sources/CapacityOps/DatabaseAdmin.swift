import StoreContract
import Scaling
import StoreFactory

/// `capacityd db …`: the database's schema, and moving a file store into it.
public enum DatabaseAdmin {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `db migrate`: one line saying what was done.
    public static func migrate(_ location: StoreLocation) throws(Failure) -> String {
        do {
            let (from, to) = try location.migrate()
            return from == to ? "\(location): schema already at version \(to)"
                              : "\(location): schema migrated from version \(from) to \(to)"
        } catch {
            throw Failure(description: error.description)
        }
    }

    /// `db status`: connects, checks the schema, counts the dimensions.
    public static func status(_ location: StoreLocation) throws(Failure) -> String {
        if let problem = location.checkDatabase(migrating: false) { throw Failure(description: problem) }
        let store = try open(location)
        defer { store.close() }
        switch store.allDimensionsAndWait() {
        case .success(let dimensions): return "\(location): schema current, \(dimensions.count) dimensions"
        case .failure(let error): throw Failure(description: error.message)
        }
    }

    public struct CopyReport {
        public var copied: [DimensionID] = []
        public var skipped: [DimensionID] = []
    }

    /// `db copy-from-file DIR`: every dimension of the file store in DIR (whose server must be stopped: this
    /// takes its lock, so the copy is a consistent snapshot) into the database. An id the database already has is
    /// skipped unless `overwrite`, so running it again changes nothing.
    public static func copy(fromFileStore directory: String, into location: StoreLocation,
                            overwrite: Bool) throws(Failure) -> CopyReport {
        guard !location.isExclusive else { throw Failure(description: "give the database to copy into with --database-url") }
        let source = try open(.file(directory: directory))
        defer { source.close() }
        let dimensions: [Dimension]
        switch source.allDimensionsAndWait() {
        case .success(let all): dimensions = all
        case .failure(let error): throw Failure(description: error.message)
        }
        let target = try open(location)
        defer { target.close() }
        var report = CopyReport()
        for dimension in dimensions {
            let outcome = target.updateAndWait(dimension.id, DimensionImport(dimension, overwrite: overwrite))
            switch outcome {
            case .success(let change) where change.before != nil && !overwrite: report.skipped.append(dimension.id)
            case .success: report.copied.append(dimension.id)
            case .failure(let error): throw Failure(description: "\(dimension.id.value): \(error.message)")
            }
        }
        return report
    }

    private static func open(_ location: StoreLocation) throws(Failure) -> DimensionStore {
        do {
            return try location.open()
        } catch {
            throw Failure(description: error.description)
        }
    }
}
