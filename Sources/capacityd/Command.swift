import Glibc

/// A command of `capacityd`: its options and positional arguments, what it does with them, or its subcommands.
/// The tree is plain values, read in order: nothing is discovered by reflection at start-up (a generic argument
/// parser that reflects over option declarations spent most of capacityd's start-up searching the binary's
/// protocol conformances).
struct Command: Sendable {
    let name: String
    let abstract: String
    let discussion: String?
    let options: [Option]
    /// Names of the positional arguments, in order; all are required.
    let positionals: [(name: String, help: String)]
    let subcommands: [Command]
    /// The subcommand run when the first word names none (`capacityd` alone serves).
    let defaultSubcommand: String?
    /// Runs the command; the process exits with what it returns.
    let run: (@Sendable (Arguments) throws -> Int32)?

    init(_ name: String, abstract: String, discussion: String? = nil, options: [Option] = [],
         positionals: [(name: String, help: String)] = [], run: (@Sendable (Arguments) throws -> Int32)? = nil) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.options = options
        self.positionals = positionals
        self.subcommands = []
        self.defaultSubcommand = nil
        self.run = run
    }

    init(_ name: String, abstract: String, discussion: String? = nil, subcommands: [Command], defaultSubcommand: String? = nil) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.options = []
        self.positionals = []
        self.subcommands = subcommands
        self.defaultSubcommand = defaultSubcommand
        self.run = nil
    }

    /// The command `words` name, its path (`capacityd dimensions get`) and the words left for it.
    func resolve(_ words: [String], path: [String] = []) -> (command: Command, path: [String], rest: [String]) {
        let path = path + [name]
        guard !subcommands.isEmpty else { return (self, path, words) }
        if let first = words.first, let sub = subcommands.first(where: { $0.name == first }) {
            return sub.resolve(Array(words.dropFirst()), path: path)
        }
        if let defaultSubcommand, let sub = subcommands.first(where: { $0.name == defaultSubcommand }),
           words.first.map({ $0.hasPrefix("-") && !Self.isHelp($0) }) ?? true {
            return sub.resolve(words, path: path)
        }
        return (self, path, words)
    }

    static func isHelp(_ word: String) -> Bool {
        word == "--help" || word == "-h"
    }

    func usage(_ path: [String]) -> String {
        if !subcommands.isEmpty { return "USAGE: \(path.joined(separator: " ")) <subcommand>" }
        let positionalsText = positionals.map { " <\($0.name)>" }.joined()
        return "USAGE: \(path.joined(separator: " "))\(positionalsText)\(options.isEmpty ? "" : " [<options>]")"
    }

    func help(_ path: [String]) -> String {
        var text = "OVERVIEW: \(abstract)\n"
        if let discussion { text += "\n" + Self.wrap(discussion, indent: 0) + "\n" }
        text += "\n" + usage(path) + "\n"
        if !positionals.isEmpty {
            text += "\nARGUMENTS:\n"
            for positional in positionals { text += Self.entry("<\(positional.name)>", positional.help) }
        }
        text += "\nOPTIONS:\n"
        for option in options {
            let head = option.kind == .flag ? "--\(option.name)" : "--\(option.name) <\(option.valueName)>"
            let help = option.help + (option.defaultText.map { " (default: \($0))" } ?? "")
            text += Self.entry(head, help)
        }
        if path.count == 1 { text += Self.entry("--version", "Show the version.") }
        text += Self.entry("-h, --help", "Show help information.")
        if !subcommands.isEmpty {
            text += "\nSUBCOMMANDS:\n"
            for sub in subcommands {
                text += Self.entry(sub.name + (sub.name == defaultSubcommand ? " (default)" : ""), sub.abstract)
            }
            text += "\n  See '\(path.joined(separator: " ")) <subcommand> --help' for detailed help.\n"
        }
        return text
    }

    /// The options as a Markdown table, from the same declarations as `--help` and the environment variables:
    /// `capacityd serve --help-markdown` writes docs/configuration.md's table, and a test keeps the two equal.
    func markdownOptions() -> String {
        var text = "| option | environment variable | default | meaning |\n|---|---|---|---|\n"
        for option in options {
            let head = option.kind == .flag ? "`--\(option.name)`" : "`--\(option.name) <\(option.valueName)>`"
            var variable = "—"
            if option.fromEnvironment {
                variable = "`\(EnvironmentOptions.variableName(option.name))`"
                if option.kind == .flag { variable += " (`true`)" }
                if option.kind == .repeatable { variable += " (comma-separated)" }
            }
            let defaultText = option.defaultText.map { "`\($0)`" } ?? ""
            let help = option.help.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")
            text += "| \(head) | \(variable) | \(defaultText) | \(help) |\n"
        }
        return text
    }

    /// `  --name <value>          The help, wrapped at 100 columns.`
    private static func entry(_ head: String, _ help: String) -> String {
        let column = 30
        let first = "  " + head
        let body = wrap(help, indent: column)
        if first.count < column - 1 {
            return first + String(repeating: " ", count: column - first.count) + body.drop { $0 == " " } + "\n"
        }
        return first + "\n" + body + "\n"
    }

    private static func wrap(_ text: String, indent: Int, width: Int = 100) -> String {
        var lines: [String] = []
        var line = String(repeating: " ", count: indent)
        for word in text.split(separator: " ") {
            if line.count + word.count + 1 > width && line.count > indent {
                lines.append(line)
                line = String(repeating: " ", count: indent)
            }
            line += (line.count > indent ? " " : "") + word
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}
