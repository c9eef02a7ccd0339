import ArgumentParser
import CapacityOps
import Scaling

struct Dimensions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dimensions",
        abstract: "Inspect and change dimensions in the store.",
        discussion: "Without --server they work on the store directly: a database (--database-url) at any time, the file store only while no server runs (its lock admits one process; a command refuses while a server holds it). With --server URL --api-key KEY they go through a running server's admin routes (it needs --api-keys).",
        subcommands: [List.self, Get.self, Create.self, Set.self, Delete.self])

    struct Common: ParsableArguments {
        @OptionGroup var store: StoreArguments

        @Option(name: .customLong("server"), help: "A running server's plain-HTTP address, e.g. http://127.0.0.1:8080, to go through instead of the store.")
        var server: String?

        @Option(name: .customLong("api-key"), help: "A key from the server's --api-keys file (for --server).")
        var apiKey: String?

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        var output: DimensionAdmin.Output { json ? .json : .text }

        var target: DimensionAdmin.Target {
            if let server { return .server(url: server, apiKey: apiKey) }
            return .store(store.selection.location)
        }
    }

    struct FieldOptions: ParsableArguments {
        @Option(name: .customLong("version"), help: "version") var version: String?
        @Option(name: .customLong("resource-name"), help: "resourceName") var resourceName: String?
        @Option(name: .customLong("dimension-name"), help: "dimensionName") var dimensionName: String?
        @Option(name: .customLong("actual-capacity"), help: "actualCapacity") var actualCapacity: Double?
        @Option(name: .customLong("desired-capacity"), help: "desiredCapacity") var desiredCapacity: Double?
        @Option(name: .customLong("status"), help: "scalingStatus: Pending, InProgress, Successful or Failed")
        var status: String?
        @Option(name: .customLong("failure-reason"), help: "failureReason") var failureReason: String?
        @Flag(name: .customLong("clear-failure-reason"), help: "Remove the failureReason.") var clearFailureReason = false

        func validate() throws {
            if let status, ScalingStatus(rawValue: status) == nil {
                throw ValidationError("--status must be one of Pending, InProgress, Successful, Failed")
            }
            if failureReason != nil && clearFailureReason {
                throw ValidationError("--failure-reason and --clear-failure-reason exclude each other")
            }
        }

        var fields: DimensionAdmin.Fields {
            DimensionAdmin.Fields(version: version, resourceName: resourceName, dimensionName: dimensionName,
                                  actualCapacity: actualCapacity, desiredCapacity: desiredCapacity,
                                  scalingStatus: status.flatMap(ScalingStatus.init(rawValue:)),
                                  failureReason: clearFailureReason ? .some(nil) : failureReason.map { .some($0) })
        }
    }

    /// Runs one admin operation: its output on stdout, or its failure as the one-line error, exit 1.
    static func perform(_ operation: () throws(DimensionAdmin.Failure) -> String) throws {
        do {
            print(try operation())
        } catch {
            throw StartFailure(message: error.description)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List every dimension.")
        @OptionGroup var common: Common
        func run() throws {
            try Dimensions.perform { () throws(DimensionAdmin.Failure) in
                try DimensionAdmin.list(common.target, output: common.output)
            }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one dimension (without advancing it).")
        @Argument(help: "The dimension id.") var id: String
        @OptionGroup var common: Common
        func run() throws {
            try Dimensions.perform { () throws(DimensionAdmin.Failure) in
                try DimensionAdmin.get(id, common.target, output: common.output)
            }
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a dimension from the defaults and the given fields.")
        @Argument(help: "The dimension id.") var id: String
        @OptionGroup var fields: FieldOptions
        @OptionGroup var common: Common
        func run() throws {
            try Dimensions.perform { () throws(DimensionAdmin.Failure) in
                try DimensionAdmin.create(id, fields: fields.fields, defaults: DimensionDefaults(), common.target,
                                          output: common.output)
            }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Set fields of a dimension exactly as given (an override, not a scaling event).")
        @Argument(help: "The dimension id.") var id: String
        @OptionGroup var fields: FieldOptions
        @OptionGroup var common: Common
        func run() throws {
            try Dimensions.perform { () throws(DimensionAdmin.Failure) in
                try DimensionAdmin.set(id, fields: fields.fields, common.target, output: common.output)
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a dimension.")
        @Argument(help: "The dimension id.") var id: String
        @OptionGroup var common: Common
        func run() throws {
            try Dimensions.perform { () throws(DimensionAdmin.Failure) in
                try DimensionAdmin.delete(id, common.target, output: common.output)
            }
        }
    }
}
