import CapacityServer
import Scaling
import TLS

/// A value an option takes: how its text parses (with the one message per kind of mistake) and how its default
/// reads in `--help`.
protocol OptionValue: SendableMetatype {
    static func parse(_ text: String, option: String) throws(UsageError) -> Self
    /// `(default: …)` in help; nil shows none.
    var defaultText: String? { get }
}

extension String: OptionValue {
    static func parse(_ text: String, option: String) -> String { text }
    var defaultText: String? { self }
}

extension Int: OptionValue {
    static func parse(_ text: String, option: String) throws(UsageError) -> Int {
        guard let number = Int(text) else { throw UsageError("The value '\(text)' is invalid for '--\(option)': not a whole number") }
        return number
    }

    var defaultText: String? { "\(self)" }
}

extension Double: OptionValue {
    static func parse(_ text: String, option: String) throws(UsageError) -> Double {
        guard let number = Double(text), number.isFinite else {
            throw UsageError("The value '\(text)' is invalid for '--\(option)': not a number")
        }
        return number
    }

    var defaultText: String? { "\(self)" }
}

/// An option with no default: nil until given.
extension Optional: OptionValue where Wrapped: OptionValue {
    static func parse(_ text: String, option: String) throws(UsageError) -> Self {
        try Wrapped.parse(text, option: option)
    }

    var defaultText: String? { self?.defaultText }
}

/// One of a fixed set of words, its raw values.
protocol ChoiceOptionValue: OptionValue, RawRepresentable, CaseIterable where RawValue == String {}

extension ChoiceOptionValue {
    static func parse(_ text: String, option: String) throws(UsageError) -> Self {
        guard let value = Self(rawValue: text) else {
            let allowed = allCases.map(\.rawValue).joined(separator: ", ")
            throw UsageError("The value '\(text)' is invalid for '--\(option)': expected one of \(allowed)")
        }
        return value
    }

    var defaultText: String? { rawValue }
}

extension ScalingMode: ChoiceOptionValue {}
extension TLSConfiguration.ClientCertificateMode: ChoiceOptionValue {}
extension LogLevel: ChoiceOptionValue {}
