import Glibc

/// Every option can also come from the environment, named after it: `--state-dir` ↔ `CAPACITYD_STATE_DIR`,
/// `--no-http` ↔ `CAPACITYD_NO_HTTP=true`; a repeatable option takes a comma-separated list. A flag on the command
/// line wins over the environment. The environment is turned into the arguments it stands for and parsed with
/// them, so a bad value gets the same error as on the command line, and `capacityd serve` with no arguments at
/// all is fully configurable (a container's `--env-file`, systemd's `EnvironmentFile=`).
enum EnvironmentOptions {
    enum Kind {
        /// `--name VALUE`
        case value
        /// `--name V1 --name V2`, from `V1,V2`
        case repeatable
        /// `--name` when the variable is true
        case flag
    }

    static let store: [(String, Kind)] = [
        ("state-dir", .value), ("database-url", .value), ("database-pool", .value), ("database-connect-timeout", .value),
        ("database-statement-timeout", .value), ("database-lock-timeout", .value),
    ]

    /// `capacityd dimensions`: the store, or a running server and a key for it.
    static let dimensions: [(String, Kind)] = store + [("server", .value), ("api-key", .value)]

    /// The options of `serve` (and of `check-config`, which takes exactly these). `Tests/EndToEndTests` checks
    /// this list against `capacityd serve --help`, so an option added there cannot be forgotten here.
    static let serve: [(String, Kind)] = store + [("migrate", .flag),
        ("http", .repeatable), ("no-http", .flag), ("https", .repeatable), ("mode", .value), ("log-dir", .value),
        ("no-auto-create", .flag), ("default-version", .value), ("default-resource-name", .value),
        ("default-dimension-name", .value), ("default-capacity", .value), ("max-capacity", .value), ("rate-limit", .value), ("rate-burst", .value),
        ("rate-limit-clients", .value), ("event-loops", .value),
        ("max-connections", .value), ("max-request-line-bytes", .value), ("max-header-bytes", .value),
        ("max-header-count", .value), ("max-body-bytes", .value), ("header-timeout", .value),
        ("body-timeout", .value), ("idle-timeout", .value), ("write-timeout", .value), ("shutdown-grace", .value),
        ("no-access-log", .flag), ("gzip-min-bytes", .value), ("api-keys", .value), ("log-level", .value), ("metrics-listen", .value), ("tls-cert", .repeatable), ("tls-key", .repeatable), ("client-ca", .value),
        ("client-cert", .value), ("client-verify-depth", .value), ("acme-webroot", .value), ("acme-domain", .repeatable), ("acme-email", .value),
        ("acme-directory", .value), ("acme-staging", .flag), ("acme-ca-root", .value), ("redirect-http", .flag),
    ]

    static func variableName(_ option: String) -> String {
        "CAPACITYD_" + String(option.uppercased().map { $0 == "-" ? "_" : $0 })
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The arguments the environment adds for `options`, skipping those the command line already gives.
    static func arguments(_ options: [(String, Kind)], environment: [String: String],
                          commandLine: [String]) throws(Failure) -> [String] {
        var added: [String] = []
        for (option, kind) in options {
            let flag = "--" + option
            // The conventional DATABASE_URL (Heroku, Render, most PaaS) when CAPACITYD_DATABASE_URL is not set.
            let fallback = option == "database-url" ? environment["DATABASE_URL"] : nil
            guard let value = environment[variableName(option)] ?? fallback,
                  !commandLine.contains(where: { $0 == flag || $0.hasPrefix(flag + "=") }) else { continue }
            switch kind {
            case .value:
                added += [flag, value]
            case .repeatable:
                for item in value.split(separator: ",") {
                    added += [flag, String(item.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())]
                }
            case .flag:
                switch value.lowercased() {
                case "1", "true", "yes", "on": added.append(flag)
                case "", "0", "false", "no", "off": break
                default: throw Failure(description: "\(variableName(option))=\(value): expected true or false")
                }
            }
        }
        return added
    }
}

extension EnvironmentOptions {
    /// The process environment, read through libc (the executable does not link Foundation).
    static func current() -> [String: String] {
        var variables: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return variables
    }
}
