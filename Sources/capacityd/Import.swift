import ArgumentParser
import CapacityOps

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import the old sample's state directory (one JSON file per dimension id) into the store.",
        discussion: "Run it while the server is stopped: the store's directory lock admits one process at a time.")

    @Argument(help: "The old sample's state directory.")
    var directory: String

    @OptionGroup var store: StoreOptions

    @Flag(help: "Replace dimensions that already exist in the store (default: skip them).")
    var overwrite = false

    func run() throws {
        do {
            let report = try LegacyImport.run(from: directory, stateDirectory: store.stateDirectory, overwrite: overwrite)
            for line in report.lines { print(line) }
            print("imported \(report.imported), skipped \(report.skipped.count)")
            if !report.skipped.isEmpty && report.imported == 0 { throw ExitCode(1) }
        } catch let error as LegacyImport.Failure {
            throw StartFailure(message: error.description)
        }
    }
}
