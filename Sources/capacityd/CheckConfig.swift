import ArgumentParser
import CapacityServer

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a configuration without serving: files readable, certificates valid, ports free, state writable.",
        discussion: "Takes exactly the options (and environment variables) of serve. Prints one line per problem and exits 1 if there is any.")

    @OptionGroup var options: ServeOptions

    func run() throws {
        let problems = ConfigurationCheck.problems(options.settings)
        for problem in problems { print(problem) }
        if !problems.isEmpty { throw ExitCode(1) }
        print("configuration ok")
    }
}
