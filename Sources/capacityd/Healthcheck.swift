import CapacityOps
import CapacityServer

/// `capacityd healthcheck`: the image's `HEALTHCHECK`. It reads serve's listener options (and their environment
/// variables, which a container shares with its health check), so it asks the port the server really listens on.
enum HealthcheckCommand {
    private static let listenerOptions = ServeOptions.declarations.filter {
        ["http", "no-http", "metrics-listen"].contains($0.option.name)
    }

    static let command = Command(
        "healthcheck",
        abstract: "Ask a running server's /healthz on its configured listener; exit 0 if it answers 200, else 1.",
        discussion: "Asks --metrics-listen if set, else the first --http address (a wildcard address on loopback).",
        options: listenerOptions.options() + [
            Option("timeout", default: "3", fromEnvironment: false, help: "Seconds to wait for the answer."),
        ]
    ) { arguments in
        let listeners = try listenerOptions.settings(arguments)
        guard let address = HealthProbe.address(http: listeners.http, noHTTP: listeners.noHTTP,
                                                metricsListen: listeners.metricsListen) else {
            throw UsageError("no plain-HTTP listener to ask: set --metrics-listen (CAPACITYD_METRICS_LISTEN)")
        }
        let timeout = try arguments.value("timeout", as: Int.self) ?? 3
        guard timeout > 0 else {
            throw UsageError("--timeout must be at least 1 second")
        }
        do throws(HealthProbe.Failure) {
            try HealthProbe.check(address: address, timeout: timeout)
        } catch {
            printError(error.description)
            return 1
        }
        return 0
    }
}
