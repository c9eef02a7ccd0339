import CBuildInfo
import Glibc

/// `capacityd`: finds the command the words name, adds what the environment says for its options, parses, runs.
@main
enum Capacityd {
    /// The release, bumped by hand with each (CHANGELOG.md), and the commit the binary was built from.
    static let version = "capacityd 0.4.0 (commit \(String(cString: capacityd_build_commit())))"

    static let root = Command(
        "capacityd",
        abstract: "The REST backend AWS Application Auto Scaling calls for a custom resource.",
        discussion: "Every option of serve can also be set by an environment variable named after it: --state-dir is CAPACITYD_STATE_DIR, --no-http is CAPACITYD_NO_HTTP=true, a repeatable option takes a comma-separated list. The command line wins.",
        subcommands: [
            .serve, .checkConfig, HealthcheckCommand.command, DimensionsCommand.command, WebhooksCommand.command, ImportCommand.command, DatabaseCommand.command,
            Command("version", abstract: "Print the version.") { _ in
                print(version)
                return 0
            },
        ],
        defaultSubcommand: "serve")

    static func main() {
        var words = Array(CommandLine.arguments.dropFirst())
        // `capacityd help dimensions get` is `capacityd dimensions get --help`.
        let helpWord = words.first == "help"
        if helpWord { words = Array(words.dropFirst()) + ["--help"] }
        let (command, path, rest) = root.resolve(words)
        if helpWord, let unknown = rest.first(where: { !Command.isHelp($0) }) {
            fail(UsageError("Unknown subcommand '\(unknown)'"), command, path)
        }
        // Help and the version describe the command line alone; a command group without a subcommand only prints
        // its help. `--version` is the version wherever it is, unless the command has an option of that name.
        let optionWords = optionWords(rest)
        if optionWords.contains(where: Command.isHelp) || (command.run == nil && rest.isEmpty) {
            print(command.help(path), terminator: "")
            exit(0)
        }
        if optionWords.contains("--help-markdown") {
            print(command.markdownOptions(), terminator: "")
            exit(0)
        }
        if optionWords.contains("--version") && !command.options.contains(where: { $0.name == "version" }) {
            print(version)
            exit(0)
        }
        guard let run = command.run else {
            fail(UsageError("Unknown subcommand '\(rest[0])'"), command, path)
        }
        do {
            let environment = try EnvironmentOptions.arguments(command.options.filter(\.fromEnvironment),
                                                               environment: EnvironmentOptions.current(),
                                                               commandLine: Array(optionWords))
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

    /// Words before a `--`: the ones that can be options (and help, and the version).
    private static func optionWords(_ words: [String]) -> ArraySlice<String> {
        words.prefix { $0 != "--" }
    }

    /// A command line that does not parse: what is wrong and how to ask for help, exit status 64 (`EX_USAGE`).
    private static func fail(_ error: UsageError, _ command: Command, _ path: [String]) -> Never {
        printError("Error: \(error.description)\n\(command.usage(path))\n  See '\(path.joined(separator: " ")) --help' for more information.")
        exit(64)
    }
}

/// A failure after the command line parsed: `Error: ` and its one line on stderr, exit status 1.
struct StartFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Runs a command's operation: its output on stdout, or its failure as the one-line error, exit 1.
func printOutput<Failure: Error & CustomStringConvertible>(_ operation: () throws(Failure) -> String) throws -> Int32 {
    do {
        print(try operation())
        return 0
    } catch {
        throw StartFailure(message: error.description)
    }
}

/// Writes to standard error (`print` goes to standard output).
func printError(_ text: String) {
    var text = text + "\n"
    text.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
}
