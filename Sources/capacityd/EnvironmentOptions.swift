import Glibc

/// Every option can also come from the environment, named after it: `--state-dir` ↔ `CAPACITYD_STATE_DIR`,
/// `--no-http` ↔ `CAPACITYD_NO_HTTP=true`; a repeatable option takes a comma-separated list. A flag on the command
/// line wins over the environment. The environment is turned into the arguments it stands for and parsed with
/// them, so a bad value gets the same error as on the command line, and `capacityd serve` with no arguments at
/// all is fully configurable (a container's `--env-file`, systemd's `EnvironmentFile=`). The variables come from
/// the options each command declares (`Option.fromEnvironment`), so a deployment's option cannot lack its variable.
enum EnvironmentOptions {
    static func variableName(_ option: String) -> String {
        "CAPACITYD_" + String(option.uppercased().map { $0 == "-" ? "_" : $0 })
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The arguments the environment adds for `options`, skipping those the command line already gives.
    static func arguments(_ options: [Option], environment: [String: String],
                          commandLine: [String]) throws(Failure) -> [String] {
        var added: [String] = []
        for declared in options {
            let option = declared.name
            let flag = "--" + option
            // The conventional DATABASE_URL (Heroku, Render, most PaaS) when CAPACITYD_DATABASE_URL is not set.
            let fallback = option == "database-url" ? environment["DATABASE_URL"] : nil
            guard let value = environment[variableName(option)] ?? fallback,
                  !commandLine.contains(where: { $0 == flag || $0.hasPrefix(flag + "=") }) else { continue }
            switch declared.kind {
            case .value:
                added += [flag, value]
            case .repeatable:
                for item in value.split(separator: ",") {
                    let trimmed = String(item.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
                    if !trimmed.isEmpty { added += [flag, trimmed] }
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
