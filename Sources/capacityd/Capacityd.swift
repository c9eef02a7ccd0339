import ArgumentParser
import CapacityServer

@main
struct Capacityd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacityd",
        abstract: "The REST backend AWS Application Auto Scaling calls for a custom resource.",
        subcommands: [Serve.self, Import.self],
        defaultSubcommand: Serve.self
    )
}
