import FileStore
import Glibc
import Scaling

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

    public static func run(from directory: String, stateDirectory: String, overwrite: Bool) throws(Failure) -> Report {
        guard let handle = opendir(directory) else {
            throw Failure(description: "\(directory): \(String(cString: strerror(errno)))")
        }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(handle)

        let store: FileStore
        do {
            store = try FileStore(directory: stateDirectory)
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
                let outcome = store.updateAndWait(dimension.id) { current throws(ScalingError) in
                    overwrite || current == nil ? dimension : current!
                }
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
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            return .failure(Failure(description: "not a regular file"))
        }
        guard info.st_size <= maxFileBytes else { return .failure(Failure(description: "larger than \(maxFileBytes) bytes")) }
        let idText = name.hasSuffix(".json") ? String(name.dropLast(5)) : name
        let fallbackID: DimensionID
        do {
            fallbackID = try DimensionID(idText)
        } catch {
            return .failure(Failure(description: "file name is not a valid id: \(error.message)"))
        }
        guard let file = fopen(path, "rb") else { return .failure(Failure(description: String(cString: strerror(errno)))) }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: maxFileBytes + 1)
        let count = fread(&bytes, 1, bytes.count, file)
        do {
            return .success(try DimensionJSON.decode(bytes[0..<count], fallbackID: fallbackID))
        } catch {
            return .failure(Failure(description: error.description))
        }
    }
}
