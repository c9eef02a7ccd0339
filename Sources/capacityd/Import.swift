import CapacityOps

/// `capacityd import DIR`: the old sample's files into the store.
enum ImportCommand {
    static let command = Command(
        "import",
        abstract: "Import the old sample's state directory (one JSON file per dimension id) into the store.",
        discussion: "Into a database (--database-url) at any time; into the file store while its server is stopped (the directory lock admits one process at a time).",
        options: StoreOptions.table + [
            Option("overwrite", .flag, fromEnvironment: false, help: "Replace dimensions that already exist in the store (default: skip them)."),
        ],
        positionals: [(name: "directory", help: "The old sample's state directory.")]
    ) { arguments in
        let location = try StoreOptions.selection(arguments).location
        do throws(LegacyImport.Failure) {
            let report = try LegacyImport.run(from: arguments.positionals[0], into: location, overwrite: arguments.flag("overwrite"))
            for line in report.lines { print(line) }
            print("imported \(report.imported), skipped \(report.skipped.count)")
            return !report.skipped.isEmpty && report.imported == 0 ? 1 : 0
        } catch {
            throw StartFailure(message: error.description)
        }
    }
}
