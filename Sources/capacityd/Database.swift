import ArgumentParser
import CapacityOps

struct Database: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "The PostgreSQL store: migrate its schema, check it, move a file store into it.",
        discussion: "Each takes the database like serve does: --database-url, CAPACITYD_DATABASE_URL or DATABASE_URL, with libpq's PG* variables for what the URL leaves out.",
        subcommands: [Migrate.self, Status.self, CopyFromFile.self])

    /// Runs one database operation: its output on stdout, or its failure as the one-line error, exit 1.
    static func perform(_ operation: () throws(DatabaseAdmin.Failure) -> String) throws {
        do {
            print(try operation())
        } catch {
            throw StartFailure(message: error.description)
        }
    }

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Create or upgrade the schema (idempotent; safe to run from every instance at once).")
        @OptionGroup var store: StoreArguments
        func validate() throws {
            guard store.databaseURL != nil else { throw ValidationError("db migrate needs --database-url") }
        }
        func run() throws {
            try Database.perform { () throws(DatabaseAdmin.Failure) in try DatabaseAdmin.migrate(store.selection.location) }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Connect, check the schema version and count the dimensions.")
        @OptionGroup var store: StoreArguments
        func validate() throws {
            guard store.databaseURL != nil else { throw ValidationError("db status needs --database-url") }
        }
        func run() throws {
            try Database.perform { () throws(DatabaseAdmin.Failure) in try DatabaseAdmin.status(store.selection.location) }
        }
    }

    struct CopyFromFile: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy-from-file",
            abstract: "Copy every dimension of a file store (its server stopped) into the database.",
            discussion: "Ids the database has already are skipped unless --overwrite, so running it twice changes nothing.")
        @Argument(help: "The file store's state directory (its --state-dir).") var directory: String
        @OptionGroup var store: StoreArguments
        @Flag(help: "Replace dimensions that already exist in the database (default: skip them).") var overwrite = false
        func validate() throws {
            guard store.databaseURL != nil else { throw ValidationError("db copy-from-file needs --database-url") }
        }
        func run() throws {
            try Database.perform { () throws(DatabaseAdmin.Failure) in
                let report = try DatabaseAdmin.copy(fromFileStore: directory, into: store.selection.location,
                                                    overwrite: overwrite)
                let lines = report.copied.map { "copied \($0.value)" } + report.skipped.map { "skipped \($0.value): already in the database" }
                return (lines + ["copied \(report.copied.count), skipped \(report.skipped.count)"]).joined(separator: "\n")
            }
        }
    }
}
