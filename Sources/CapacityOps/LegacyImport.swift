import CapacityAPI
import StoreContract
import Scaling
import StoreFactory
import SystemIO

/// Migrates the old sample's state: a directory with one JSON file per dimension, named after its id (with or
/// without `.json`). Each file is read as a dimension document; the file name supplies the id when the
/// document has none. Nothing is written for a file that does not validate; the report says why.
public enum LegacyImport {
    public struct Report {
        public var imported = 0
        public var skipped: [String] = []
        public var lines: [String] = []
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Old files larger than this are not dimension documents.
    static let maxFileBytes = 65536

    public static func run(from directory: String, into location: StoreLocation, overwrite: Bool) throws(Failure) -> Report {
        let names: [String]
        do {
            names = try FileSystem.directoryEntries(directory)
        } catch {
            throw Failure(description: "\(directory): \(error.reason)")
        }

        let store: DimensionStore
        do {
            store = try location.open()
        } catch {
            throw Failure(description: error.description)
        }
        defer { store.close() }
        var report = Report()
        for name in names.sorted() {
            switch load(directory + "/" + name, name: name) {
            case .failure(let reason):
                report.skipped.append(name)
                report.lines.append("skipped \(name): \(reason.description)")
            case .success(let dimension):
                let outcome = store.updateAndWait(dimension.id, DimensionImport(dimension, overwrite: overwrite))
                switch outcome {
                case .success(let change) where change.before != nil && !overwrite:
                    report.skipped.append(name)
                    report.lines.append("skipped \(name): \(dimension.id.value) already exists (use --overwrite)")
                case .success:
                    report.imported += 1
                    report.lines.append("imported \(dimension.id.value)")
                case .failure(let error):
                    throw Failure(description: error.message)
                }
            }
        }
        return report
    }

    private static func load(_ path: String, name: String) -> Result<Dimension, Failure> {
        guard FileSystem.kind(path, followSymlinks: false) == .regularFile else {
            return .failure(Failure(description: "not a regular file"))
        }
        let idText = name.hasSuffix(".json") ? String(name.dropLast(5)) : name
        let fallbackID: DimensionID
        do {
            fallbackID = try DimensionID(idText)
        } catch {
            return .failure(Failure(description: "file name is not a valid id: \(error.message)"))
        }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(path, maxBytes: maxFileBytes)
        } catch {
            return .failure(Failure(description: error.reason))
        }
        guard bytes.count <= maxFileBytes else { return .failure(Failure(description: "larger than \(maxFileBytes) bytes")) }
        do {
            return .success(try DimensionJSON.decode(bytes, fallbackID: fallbackID))
        } catch {
            return .failure(Failure(description: error.description))
        }
    }
}
