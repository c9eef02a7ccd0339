/// One `--name` a command takes: what it is, how it reads, and its help. A command's options are a table of
/// these, which serves for parsing, for `--help` and for the environment variables named after them
/// (`EnvironmentOptions`), so the three cannot disagree.
struct Option: Sendable {
    enum Kind {
        /// `--name`
        case flag
        /// `--name VALUE` or `--name=VALUE`; the last one given wins
        case value
        /// `--name V1 --name V2`
        case repeatable
    }

    let name: String
    let kind: Kind
    let help: String
    /// The value's placeholder in help (`<seconds>`), for the kinds that take one.
    let valueName: String
    /// Shown in help as `(default: …)`.
    let defaultText: String?
    /// Whether `CAPACITYD_NAME` may give it: true for what configures a deployment, false for what describes one
    /// invocation (`--json`, `--overwrite`, a dimension's fields).
    let fromEnvironment: Bool

    init(_ name: String, _ kind: Kind = .value, valueName: String? = nil, default defaultText: String? = nil,
         fromEnvironment: Bool = true, help: String) {
        self.name = name
        self.kind = kind
        self.help = help
        self.valueName = valueName ?? name
        self.defaultText = defaultText
        self.fromEnvironment = fromEnvironment
    }
}

/// A command line that does not parse: the message, then the command's usage, exit status 64 (`EX_USAGE`).
struct UsageError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A command line read against a command's options: each option's values in order, and the positional arguments.
struct Arguments {
    private(set) var values: [String: [String]] = [:]
    private(set) var positionals: [String] = []

    /// Reads `words` (after the command's name). `--` ends the options; a word starting with `-` is an option
    /// (a value starting with `-`, such as a negative number, goes after `=`: `--default-capacity=-1`).
    init(_ words: [String], options: [Option], positionals expected: [String]) throws(UsageError) {
        let byName = Dictionary(options.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in
            preconditionFailure("--\(first.name) is declared twice")
        })
        var index = 0
        var optionsEnded = false
        while index < words.count {
            let word = words[index]
            index += 1
            if optionsEnded || !word.hasPrefix("-") || word == "-" {
                positionals.append(word)
                continue
            }
            if word == "--" {
                optionsEnded = true
                continue
            }
            guard word.hasPrefix("--") else { throw UsageError("Unknown option '\(word)'") }
            let body = word.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            let inline = body.firstIndex(of: "=").map { String(body[body.index(after: $0)...]) }
            guard let option = byName[name] else { throw UsageError("Unknown option '--\(name)'") }
            switch option.kind {
            case .flag:
                guard inline == nil else { throw UsageError("--\(name) takes no value") }
                values[name, default: []].append("")
            case .value, .repeatable:
                let value: String
                if let inline {
                    value = inline
                } else {
                    guard index < words.count, !words[index].hasPrefix("-") else {
                        throw UsageError("Missing value for '--\(name) <\(option.valueName)>'")
                    }
                    value = words[index]
                    index += 1
                }
                values[name, default: []].append(value)
            }
        }
        guard positionals.count <= expected.count else {
            throw UsageError("Unexpected argument '\(positionals[expected.count])'")
        }
        guard positionals.count == expected.count else {
            throw UsageError("Missing expected argument '<\(expected[positionals.count])>'")
        }
    }

    func flag(_ name: String) -> Bool {
        values[name] != nil
    }

    func string(_ name: String) -> String? {
        values[name]?.last
    }

    func strings(_ name: String) -> [String]? {
        values[name]
    }

    /// The last value given, parsed as `Value`.
    func value<Value: OptionValue>(_ name: String, as _: Value.Type) throws(UsageError) -> Value? {
        guard let text = string(name) else { return nil }
        return try Value.parse(text, option: name)
    }
}
