import Foundation
import Testing

/// The repository root, for the files in `config/`.
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// `KEY=VALUE` lines of an env file (comments and blank lines skipped), as docker --env-file and systemd read them.
private func readEnvFile(_ path: String) throws -> [String: String] {
    var variables: [String: String] = [:]
    for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
        guard let equals = line.firstIndex(of: "=") else { continue }
        variables[String(line[..<equals])] = String(line[line.index(after: equals)...])
    }
    return variables
}

@Suite("Configuration from the environment, and check-config")
struct ConfigurationTests {
    @Test func serveWithNoFlagsIsConfiguredByTheEnvironment() throws {
        let directory = ServerProcess.temporaryDirectory()
        let server = try ServerProcess([], environment: [
            "CAPACITYD_HTTP": "127.0.0.1:0, 127.0.0.1:0", "CAPACITYD_MODE": "step",
            "CAPACITYD_STATE_DIR": directory + "/state", "CAPACITYD_LOG_DIR": directory + "/logs",
            "CAPACITYD_NO_ACCESS_LOG": "true", "CAPACITYD_DEFAULT_CAPACITY": "5", "CAPACITYD_EVENT_LOOPS": "1",
        ], directory: directory, defaultArguments: false)
        #expect(server.stderr.components(separatedBy: "http://127.0.0.1:").count == 3)
        #expect(server.stderr.contains("mode step") && server.stderr.contains(directory + "/logs"))
        let url = server.baseURL + "/v1/scalableTargetDimensions/env"
        #expect(try curl(url).json?["actualCapacity"] as? Double == 5)
        _ = try patch(url, #"{"desiredCapacity": 7}"#)
        #expect(try curl(url).json?["actualCapacity"] as? Double == 6)  // step mode: one unit per GET
        #expect(server.stop() == 0)
        #expect(server.stdout.isEmpty)
    }

    @Test func theCommandLineWinsOverTheEnvironment() throws {
        let server = try ServerProcess(["--mode", "production"], environment: ["CAPACITYD_MODE": "step",
                                                                              "CAPACITYD_HTTP": "127.0.0.1:1"])
        #expect(server.stderr.contains("mode production"))
        #expect(!server.stderr.contains("127.0.0.1:1 "))
        server.stop()
    }

    @Test func badEnvironmentValuesAreRefusedLikeBadFlags() throws {
        for (name, value) in [("CAPACITYD_MODE", "fast"), ("CAPACITYD_NO_HTTP", "maybe"),
                              ("CAPACITYD_MAX_CONNECTIONS", "many"), ("CAPACITYD_HTTP", "nowhere")] {
            let (status, output) = try runCapacityd(["serve"], environment: [name: value])
            #expect(status != 0, "\(name)")
            #expect(output.contains("Error:"), "\(name): \(output)")
        }
    }

    /// The command line's rules, row by row: fails if a form is read differently or a mistake is not exit status 64
    /// with `Error:`, what is wrong, and where help is.
    @Test func commandLineRules() throws {
        let state = ServerProcess.temporaryDirectory()
        let base = ["check-config", "--http", "127.0.0.1:0", "--state-dir", state]
        let rows: [(arguments: [String], status: Int32, output: String)] = [
            (base, 0, "configuration ok"),
            (["check-config", "--http=127.0.0.1:0", "--state-dir=" + state], 0, "configuration ok"),
            (base + ["--max-capacity", "10", "--max-capacity", "20", "--default-capacity", "15"], 0, "configuration ok"),
            (base + ["--default-capacity=-1"], 64, "--default-capacity must be from 0"),
            (base + ["--default-capacity", "-1"], 64, "Missing value for '--default-capacity"),
            (base + ["--no-such-option"], 64, "Unknown option '--no-such-option'"),
            (base + ["-x"], 64, "Unknown option '-x'"),
            (base + ["--no-http=yes"], 64, "--no-http takes no value"),
            (base + ["--event-loops", "two"], 64, "'two' is invalid for '--event-loops'"),
            (base + ["--mode", "fast"], 64, "expected one of demo, demo-failure, step, production"),
            (base + ["stray"], 64, "Unexpected argument 'stray'"),
            (["dimensions", "get", "--state-dir", state], 64, "Missing expected argument '<id>'"),
            (["dimensions", "get", "--state-dir", state, "--", "--odd-id"], 1, "--odd-id"),
            (["dimensions", "frobnicate"], 64, "Unknown subcommand 'frobnicate'"),
            (["help", "dimensions", "get"], 0, "USAGE: capacityd dimensions get <id> [<options>]"),
            (["dimensions", "get", "--help"], 0, "--server <server>"),
            (["db"], 0, "SUBCOMMANDS:"),
            (["serve", "--version"], 0, "capacityd "),
            (["version"], 0, "(commit "),
            (["help", "nosuch"], 64, "Unknown subcommand 'nosuch'"),
            (["dimensions", "get", "--state-dir", state, "--", "-h"], 1, "-h"),
            (["dimensions", "list", "--server", "http://127.0.0.1:1", "--database-pool", "abc"], 64, "'abc' is invalid for '--database-pool'"),
        ]
        for row in rows {
            let (status, output) = try runCapacityd(row.arguments)
            #expect(status == row.status && output.contains(row.output), "\(row.arguments): \(status) \(output)")
            if row.status == 64 {
                #expect(output.hasPrefix("Error: ") && output.contains("--help' for more information"), "\(output)")
            }
        }
        // The environment's options join the command line's without falling after its `--`.
        let (status, output) = try runCapacityd(["dimensions", "get", "--", "--odd-id"], environment: ["CAPACITYD_STATE_DIR": state])
        #expect(status == 1 && output.contains("--odd-id") && !output.contains("Unexpected argument"), "\(status) \(output)")
    }

    /// The settings' own rules, checked in the layers that own them, read as the flags they were given by, from the
    /// command line or the environment: fails if a message names a setting other than by its flag, or says more or
    /// less than its one line.
    @Test(arguments: [
        (["--tls-cert", "chain.pem"], [:], "--tls-cert and --tls-key come in pairs: 1 certificates, 0 keys"),
        (["--https", "127.0.0.1:0"], [:], "--https needs --tls-cert and --tls-key, or --acme-domain"),
        (["--https", "127.0.0.1:0", "--acme-domain", "*.example.com"], [:],
         "--acme-domain *.example.com: not a DNS name (letters, digits and hyphens in dot-separated labels; no wildcard, which HTTP-01 cannot validate)"),
        (["--client-cert", "required"], [:], "--client-cert required needs --https and --client-ca"),
        (["--header-timeout", "0"], [:], "--header-timeout must be between 0 and 86400 seconds"),
        (["--max-body-bytes", "0"], [:], "--max-body-bytes must be at least 1"),
        (["--migrate"], [:], "--migrate needs --database-url"),
        (["--max-wait", "0"], [:], "--max-wait must be between 1 and 86400 seconds"),
        (["--max-waiting=-1"], [:], "--max-waiting must be 0 or more"),
        ([], ["CAPACITYD_RATE_BURST": "2"], "--rate-burst is used only with --rate-limit"),
        (["--database-url", "postgresql://127.0.0.1/capacityd", "--database-pool", "0"], [:], "--database-pool must be 1 to 64"),
        ([], ["DATABASE_URL": "postgresql://127.0.0.1/capacityd", "CAPACITYD_DATABASE_LOCK_TIMEOUT": "0.01"], "--database-lock-timeout must be 0.1 to 600 seconds"),
    ] as [([String], [String: String], String)])
    func settingsRulesNameTheirFlags(arguments: [String], environment: [String: String], line: String) throws {
        let state = ServerProcess.temporaryDirectory()
        let (status, output) = try runCapacityd(["check-config", "--http", "127.0.0.1:0", "--state-dir", state] + arguments,
                                                environment: environment)
        #expect(status == 64, "\(output)")
        #expect(output.split(separator: "\n").first.map(String.init) == "Error: " + line, "\(output)")
    }

    /// The table of environment variables must know every option `serve --help` lists.
    @Test func everyServeOptionHasItsVariable() throws {
        let help = try runCapacityd(["serve", "--help"]).output
        // Option lines start with the option; mentions of other commands' flags in help texts do not.
        let options = Set(help.split(separator: "\n").compactMap { line in
            line.firstMatch(of: /^  --([a-z0-9-]+)/).map { String($0.output.1) }
        }).subtracting(["help", "version", "http", "state-dir"])  // the last two are on this command line, which wins
        #expect(options.count > 25)
        let directory = ServerProcess.temporaryDirectory()
        for option in options.sorted() {
            let variable = "CAPACITYD_" + option.uppercased().replacingOccurrences(of: "-", with: "_")
            // A nonsense value for each variable in turn must be noticed: it reached the parser.
            let (status, output) = try runCapacityd(["check-config", "--http", "127.0.0.1:0", "--state-dir", directory],
                                                    environment: [variable: "-x-"])
            #expect(status != 0, "\(variable) was ignored: \(output)")
        }
    }

    @Test func checkConfigReportsEveryProblemOnItsOwnLine() throws {
        let server = try ServerProcess()
        let state = ServerProcess.temporaryDirectory()
        let (status, output) = try runCapacityd([
            "check-config", "--http", "127.0.0.1:\(server.port)", "--state-dir", server.stateDirectory,
            "--https", "127.0.0.1:0", "--tls-cert", state + "/missing.pem", "--tls-key", state + "/missing.key",
            "--acme-webroot", state + "/no-webroot",
        ])
        #expect(status == 1)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 4, "\(output)")
        #expect(lines.contains { $0.contains("127.0.0.1:\(server.port)") && $0.contains("in use") })
        #expect(lines.contains { $0.contains("in use by another capacityd") })
        #expect(lines.contains { $0.contains("missing.pem") })
        #expect(lines.contains { $0.contains("no-webroot") })
        server.stop()

        let fine = try runCapacityd(["check-config", "--http", "127.0.0.1:0", "--state-dir", state + "/new"])
        #expect(fine.status == 0 && fine.output.contains("configuration ok"), "\(fine.output)")
        #expect(!FileManager.default.fileExists(atPath: state + "/new"))
        // capacityd makes one directory level, not a path: check-config says so, as serve would fail.
        let deep = try runCapacityd(["check-config", "--http", "127.0.0.1:0", "--state-dir", state + "/missing/deeper"])
        #expect(deep.status == 1 && deep.output.contains("cannot be created"), "\(deep.output)")
        #expect(try runCapacityd(["serve", "--http", "127.0.0.1:0", "--state-dir", state + "/missing/deeper"]).status != 0)
    }

    /// The env files in `config/` are valid configurations (with their paths moved into a temporary directory).
    @Test(arguments: ["demo.env", "demo-failure.env", "step.env", "production.env", "production-mtls.env"])
    func shippedEnvFilesAreValid(file: String) throws {
        var variables = try readEnvFile(repositoryRoot + "/config/" + file)
        #expect(variables["CAPACITYD_MODE"] != nil)
        let pki = try TestPKI()
        let (_, chain, key) = try pki.serverChain()
        let client = try pki.selfSigned("ApiGateway-Prod")
        try FileManager.default.createDirectory(atPath: pki.directory + "/acme", withIntermediateDirectories: true)
        let replacements = ["CAPACITYD_HTTP": "127.0.0.1:0", "CAPACITYD_HTTPS": "127.0.0.1:0",
                            "CAPACITYD_STATE_DIR": pki.directory + "/state", "CAPACITYD_LOG_DIR": pki.directory + "/log",
                            "CAPACITYD_TLS_CERT": chain, "CAPACITYD_TLS_KEY": key,
                            "CAPACITYD_CLIENT_CA": client.certificate, "CAPACITYD_ACME_WEBROOT": pki.directory + "/acme"]
        for (name, value) in replacements where variables[name] != nil { variables[name] = value }
        let (status, output) = try runCapacityd(["check-config"], environment: variables)
        #expect(status == 0, "\(file): \(output)")
    }
}
