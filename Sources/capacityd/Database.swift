import CapacityOps
import StoreFactory

/// `capacityd db migrate|status|copy-from-file`: the PostgreSQL store's schema and contents.
enum DatabaseCommand {
    static let command = Command(
        "db",
        abstract: "The PostgreSQL store: migrate its schema, check it, move a file store into it.",
        discussion: "Each takes the database like serve does: --database-url, CAPACITYD_DATABASE_URL or DATABASE_URL, with libpq's PG* variables for what the URL leaves out.",
        subcommands: [
            Command("migrate", abstract: "Create or upgrade the schema (idempotent; safe to run from every instance at once).",
                    options: StoreOptions.table) { arguments in
                let location = try database(arguments, "db migrate")
                return try printOutput { () throws(DatabaseAdmin.Failure) in try DatabaseAdmin.migrate(location) }
            },
            Command("status", abstract: "Connect, check the schema version and count the dimensions.",
                    options: StoreOptions.table) { arguments in
                let location = try database(arguments, "db status")
                return try printOutput { () throws(DatabaseAdmin.Failure) in try DatabaseAdmin.status(location) }
            },
            Command("copy-from-file", abstract: "Copy every dimension of a file store (its server stopped) into the database.",
                    discussion: "Ids the database has already are skipped unless --overwrite, so running it twice changes nothing.",
                    options: StoreOptions.table + [
                        Option("overwrite", .flag, fromEnvironment: false, help: "Replace dimensions that already exist in the database (default: skip them)."),
                    ],
                    positionals: [(name: "directory", help: "The file store's state directory (its --state-dir).")]) { arguments in
                let location = try database(arguments, "db copy-from-file")
                return try printOutput { () throws(DatabaseAdmin.Failure) in
                    let report = try DatabaseAdmin.copy(fromFileStore: arguments.positionals[0], into: location,
                                                        overwrite: arguments.flag("overwrite"))
                    let lines = report.copied.map { "copied \($0.value)" } + report.skipped.map { "skipped \($0.value): already in the database" }
                    return (lines + ["copied \(report.copied.count), skipped \(report.skipped.count)"]).joined(separator: "\n")
                }
            },
        ])

    private static func database(_ arguments: Arguments, _ command: String) throws(UsageError) -> StoreLocation {
        guard arguments.string("database-url") != nil else { throw UsageError("\(command) needs --database-url") }
        return try StoreOptions.selection(arguments).location
    }
}
