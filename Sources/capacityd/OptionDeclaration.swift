/// One option of a command and where its value goes: the `Option` (name, kind, help, and a default read from the
/// settings value's own), and how the parsed value is stored into the command's one settings value. A command's
/// table of these is its parser, its `--help`, its environment variables and its mapping into settings, so adding
/// an option is one line here and one field of the settings.
struct OptionDeclaration<Settings: OptionSettings>: Sendable {
    let option: Option
    /// Stores what the command line gives for the option into `settings`; leaves them as they are when it says nothing.
    let store: @Sendable (_ arguments: Arguments, _ settings: inout Settings) throws(UsageError) -> Void

    /// `--name VALUE`: parsed as `Value`, stored at `field`; help shows the field's default unless it has none.
    static func value<Value: OptionValue>(_ name: String, _ field: WritableKeyPath<Settings, Value> & Sendable,
                                          valueName: String? = nil, help: String) -> Self {
        OptionDeclaration(option: Option(name, .value, valueName: valueName, default: Settings()[keyPath: field].defaultText, help: help)) {
            arguments, settings throws(UsageError) in
            if let value = try arguments.value(name, as: Value.self) { settings[keyPath: field] = value }
        }
    }

    /// `--name V1 --name V2`: every value, in order, replaces the field's default list.
    static func repeatable(_ name: String, _ field: WritableKeyPath<Settings, [String]> & Sendable, help: String) -> Self {
        let standard = Settings()[keyPath: field]
        return OptionDeclaration(option: Option(name, .repeatable, default: standard.isEmpty ? nil : standard.joined(separator: ", "), help: help)) {
            arguments, settings throws(UsageError) in
            if let values = arguments.strings(name) { settings[keyPath: field] = values }
        }
    }

    /// `--name`: sets `field` to `value` when given.
    static func flag(_ name: String, _ field: WritableKeyPath<Settings, Bool> & Sendable, setting value: Bool = true,
                     help: String) -> Self {
        OptionDeclaration(option: Option(name, .flag, help: help)) { arguments, settings throws(UsageError) in
            if arguments.flag(name) { settings[keyPath: field] = value }
        }
    }

    /// The same option storing into the part of wider settings at `part` (the store's options inside the server's).
    func within<Wider: OptionSettings>(_ part: WritableKeyPath<Wider, Settings> & Sendable) -> OptionDeclaration<Wider> {
        let store = store
        return OptionDeclaration<Wider>(option: option) { arguments, wider throws(UsageError) in
            try store(arguments, &wider[keyPath: part])
        }
    }
}

/// What a command's options fill: a value whose `init()` holds every default.
protocol OptionSettings: SendableMetatype {
    init()
}

extension Array {
    /// The options of a table of declarations, for parsing, `--help` and the environment.
    func options<Settings>() -> [Option] where Element == OptionDeclaration<Settings> {
        map(\.option)
    }

    /// The settings the command line gives, starting from the defaults.
    func settings<Settings>(_ arguments: Arguments) throws(UsageError) -> Settings where Element == OptionDeclaration<Settings> {
        var settings = Settings()
        for declaration in self { try declaration.store(arguments, &settings) }
        return settings
    }
}
