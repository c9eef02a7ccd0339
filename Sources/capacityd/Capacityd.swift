import Glibc

/// `capacityd`: finds the command the words name, adds what the environment says for its options, parses, runs.
@main
enum Capacityd {
    /// Bumped by hand with each release; the image tag carries the commit.
    static let version = "capacityd 0.4.0"

    static let root = Command(
        "capacityd",
        abstract: "The REST backend AWS Application Auto Scaling calls for a custom resource.",
        discussion: "Every option of serve can also be set by an environment variable named after it: --state-dir is CAPACITYD_STATE_DIR, --no-http is CAPACITYD_NO_HTTP=true, a repeatable option takes a comma-separated list. The command line wins.",
        subcommands: [
            .serve, .checkConfig, DimensionsCommand.command, ImportCommand.command, DatabaseCommand.command,
            Command("version", abstract: "Print the version.") { _ in
                print(version)
                return 0
            },
        ],
        defaultSubcommand: "serve")

    static func main() {
        var words = Array(CommandLine.arguments.dropFirst())
        if words == ["--version"] { words = ["version"] }
        // `capacityd help dimensions get` is `capacityd dimensions get --help`.
        if words.first == "help" { words = Array(words.dropFirst()) + ["--help"] }
        let (command, path, rest) = root.resolve(words)
        // Help describes the command line alone; a command group without a subcommand only prints its help.
        if rest.contains(where: Command.isHelp) || (command.run == nil && rest.isEmpty) {
            print(command.help(path), terminator: "")
            exit(0)
        }
        guard let run = command.run else {
            fail(UsageError("Unknown subcommand '\(rest[0])'"), command, path)
        }
        // The variables of the options this command takes (the dimensions' field options and --json excepted:
        // they describe one invocation, not a deployment).
        let variables = command.options.filter { !["json", "overwrite"].contains($0.name) && !DimensionsCommand.isFieldOption($0.name) }
        do {
            let environment = try EnvironmentOptions.arguments(variables, environment: EnvironmentOptions.current(),
                                                               commandLine: rest)
            // Before the command line's words, so that a `--` there ends only its own options.
            let arguments = try Arguments(environment + rest, options: command.options,
                                          positionals: command.positionals.map(\.name))
            exit(try run(arguments))
        } catch let error as UsageError {
            fail(error, command, path)
        } catch let error as EnvironmentOptions.Failure {
            fail(UsageError(error.description), command, path)
        } catch {
            printError("Error: \(error)")
            exit(1)
        }
    }

    /// A command line that does not parse: what is wrong and how to ask for help, exit status 64 (`EX_USAGE`).
    private static func fail(_ error: UsageError, _ command: Command, _ path: [String]) -> Never {
        printError("Error: \(error.description)\n\(command.usage(path))\n  See '\(path.joined(separator: " ")) --help' for more information.")
        exit(64)
    }
}
