import ArgumentParser
import CapacityServer

/// Every command names itself in its configuration: otherwise the parser derives each name from the type's
/// `String(describing:)`, a search of every protocol conformance in the binary per type, at every start.
@main
struct Capacityd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacityd",
        abstract: "The REST backend AWS Application Auto Scaling calls for a custom resource.",
        discussion: "Every option of serve can also be set by an environment variable named after it: --state-dir is CAPACITYD_STATE_DIR, --no-http is CAPACITYD_NO_HTTP=true, a repeatable option takes a comma-separated list. The command line wins.",
        version: Version.text,
        subcommands: [Serve.self, CheckConfig.self, Dimensions.self, Import.self, Database.self, Version.self],
        defaultSubcommand: Serve.self
    )

    /// Adds what the environment says to the command line, for the subcommand being run, then parses.
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        let subcommand = arguments.first.flatMap { first in
            configuration.subcommands.first { $0._commandName == first }
        } ?? Serve.self
        let options: [(String, EnvironmentOptions.Kind)] = switch subcommand {
        case is Serve.Type, is CheckConfig.Type: EnvironmentOptions.serve
        case is Import.Type, is Database.Type: EnvironmentOptions.store
        case is Dimensions.Type: EnvironmentOptions.dimensions
        default: []
        }
        // Help and version output describe the command line alone; a bare command group only prints its help.
        let bareGroup = (subcommand == Dimensions.self || subcommand == Database.self) && arguments.count < 2
        if !bareGroup && !arguments.contains(where: { ["-h", "--help", "help", "--version"].contains($0) }) {
            do {
                arguments += try EnvironmentOptions.arguments(options, environment: EnvironmentOptions.current(),
                                                              commandLine: arguments)
            } catch {
                exit(withError: ValidationError(error.description))
            }
        }
        main(arguments)
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")
    /// Bumped by hand with each release; the image tag carries the commit.
    static let text = "capacityd 0.4.0"

    func run() {
        print(Self.text)
    }
}
