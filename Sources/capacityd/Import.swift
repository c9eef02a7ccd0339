import ArgumentParser
import CapacityOps

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import the old sample's state directory (one JSON file per dimension id) into the store.",
        discussion: "Into a database (--database-url) at any time; into the file store while its server is stopped (the directory lock admits one process at a time).")

    @Argument(help: "The old sample's state directory.")
    var directory: String

    @OptionGroup var store: StoreArguments

    @Flag(help: "Replace dimensions that already exist in the store (default: skip them).")
    var overwrite = false

    func run() throws {
        do {
            let report = try LegacyImport.run(from: directory, into: store.selection.location, overwrite: overwrite)
            for line in report.lines { print(line) }
            print("imported \(report.imported), skipped \(report.skipped.count)")
            if !report.skipped.isEmpty && report.imported == 0 { throw ExitCode(1) }
        } catch let error as LegacyImport.Failure {
            throw StartFailure(message: error.description)
        }
    }
}
