import CapacityOps
import Scaling

/// `capacityd dimensions list|get|create|set|delete`: an operator's view of the store, or of a running server.
enum DimensionsCommand {
    /// A running server to go through instead of the store, and the key for its admin routes (also `capacityd
    /// webhooks`').
    static let serverOptions: [Option] = [
        Option("server", help: "A running server's plain-HTTP address, e.g. http://127.0.0.1:8080, to go through instead of the store."),
        Option("api-key", help: "A key from the server's --api-keys file (for --server)."),
    ]

    /// Where to work and how to print: the store's options, or a server and a key.
    private static let common: [Option] = StoreOptions.table + serverOptions + [
        Option("json", .flag, fromEnvironment: false, help: "Print JSON instead of a table."),
    ]

    private static let fieldOptions: [Option] = [
        Option("version", fromEnvironment: false, help: "version"),
        Option("resource-name", fromEnvironment: false, help: "resourceName"),
        Option("dimension-name", fromEnvironment: false, help: "dimensionName"),
        Option("actual-capacity", fromEnvironment: false, help: "actualCapacity"),
        Option("desired-capacity", fromEnvironment: false, help: "desiredCapacity"),
        Option("status", fromEnvironment: false, help: "scalingStatus: Pending, InProgress, Successful or Failed"),
        Option("failure-reason", fromEnvironment: false, help: "failureReason"),
        Option("clear-failure-reason", .flag, fromEnvironment: false, help: "Remove the failureReason."),
    ]

    private static let id = [(name: "id", help: "The dimension id.")]

    static let command = Command(
        "dimensions",
        abstract: "Inspect and change dimensions in the store.",
        discussion: "Without --server they work on the store directly: a database (--database-url) at any time, the file store only while no server runs (its lock admits one process; a command refuses while a server holds it). With --server URL --api-key KEY they go through a running server's admin routes (it needs --api-keys).",
        subcommands: [
            Command("list", abstract: "List every dimension.", options: common) { arguments in
                try perform(arguments) { target, output throws(DimensionAdmin.Failure) in
                    try DimensionAdmin.list(target, output: output)
                }
            },
            Command("get", abstract: "Show one dimension (without advancing it).", options: common, positionals: id) { arguments in
                try perform(arguments) { target, output throws(DimensionAdmin.Failure) in
                    try DimensionAdmin.get(arguments.positionals[0], target, output: output)
                }
            },
            Command("create", abstract: "Create a dimension from the defaults and the given fields.",
                    options: fieldOptions + common, positionals: id) { arguments in
                let fields = try fields(arguments)
                return try perform(arguments) { target, output throws(DimensionAdmin.Failure) in
                    try DimensionAdmin.create(arguments.positionals[0], fields: fields, defaults: DimensionDefaults(),
                                              target, output: output)
                }
            },
            Command("set", abstract: "Set fields of a dimension exactly as given (an override, not a scaling event).",
                    options: fieldOptions + common, positionals: id) { arguments in
                let fields = try fields(arguments)
                return try perform(arguments) { target, output throws(DimensionAdmin.Failure) in
                    try DimensionAdmin.set(arguments.positionals[0], fields: fields, target, output: output)
                }
            },
            Command("delete", abstract: "Delete a dimension.", options: common, positionals: id) { arguments in
                try perform(arguments) { target, output throws(DimensionAdmin.Failure) in
                    try DimensionAdmin.delete(arguments.positionals[0], target, output: output)
                }
            },
        ])

    /// Runs one admin operation: its output on stdout, or its failure as the one-line error, exit 1.
    private static func perform(_ arguments: Arguments,
                                _ operation: (DimensionAdmin.Target, DimensionAdmin.Output) throws(DimensionAdmin.Failure) -> String) throws -> Int32 {
        let target = try target(arguments)
        return try printOutput { () throws(DimensionAdmin.Failure) in
            try operation(target, arguments.flag("json") ? .json : .text)
        }
    }

    /// `--server` and `--api-key`, or else the store's options.
    static func target(_ arguments: Arguments) throws -> DimensionAdmin.Target {
        // The store's options are checked also when --server makes them unused: a mistake is still a mistake.
        let selection = try StoreOptions.selection(arguments)
        if let server = arguments.string("server") { return .server(url: server, apiKey: arguments.string("api-key")) }
        return .store(selection.location)
    }

    private static func fields(_ arguments: Arguments) throws(UsageError) -> DimensionAdmin.Fields {
        let status = arguments.string("status")
        if let status, ScalingStatus(rawValue: status) == nil {
            throw UsageError("--status must be one of Pending, InProgress, Successful, Failed")
        }
        let failureReason = arguments.string("failure-reason")
        let clear = arguments.flag("clear-failure-reason")
        if failureReason != nil && clear {
            throw UsageError("--failure-reason and --clear-failure-reason exclude each other")
        }
        return DimensionAdmin.Fields(version: arguments.string("version"), resourceName: arguments.string("resource-name"),
                                     dimensionName: arguments.string("dimension-name"),
                                     actualCapacity: try arguments.value("actual-capacity", as: Double.self),
                                     desiredCapacity: try arguments.value("desired-capacity", as: Double.self),
                                     scalingStatus: status.flatMap(ScalingStatus.init(rawValue:)),
                                     failureReason: clear ? .some(nil) : failureReason.map { .some($0) })
    }
}
