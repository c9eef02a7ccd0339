/// An `If-Match` or `If-None-Match` field (RFC 9110 §§8.8.3, 13.1.1, 13.1.2): `*`, or a list of entity tags.
public enum EntityTagCondition: Sendable, Equatable {
    case any
    case tags([EntityTag])

    public struct SyntaxError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// The field's value from all of its lines, joined as one list (RFC 9110 §5.3); nil when there are none.
    /// `*` must stand alone. Empty list elements are allowed, as the list syntax does (§5.6.1).
    public init?(lines: [String]) throws(SyntaxError) {
        guard !lines.isEmpty else { return nil }
        var tags: [EntityTag] = []
        var sawAny = false
        for line in lines {
            var rest = Substring(line)
            while true {
                rest = rest.drop { $0 == " " || $0 == "\t" }
                if rest.isEmpty { break }
                if rest.first == "," {
                    rest = rest.dropFirst()
                    continue
                }
                if rest.first == "*" {
                    sawAny = true
                    rest = rest.dropFirst()
                } else {
                    tags.append(try EntityTag.parse(&rest))
                }
                rest = rest.drop { $0 == " " || $0 == "\t" }
                guard rest.isEmpty || rest.first == "," else {
                    throw SyntaxError(description: "an entity tag must be a quoted string, optionally W/-prefixed, in a comma-separated list")
                }
            }
        }
        if sawAny {
            guard tags.isEmpty else { throw SyntaxError(description: "* must stand alone, not in a list of entity tags") }
            self = .any
        } else {
            guard !tags.isEmpty else { throw SyntaxError(description: "the list of entity tags is empty") }
            self = .tags(tags)
        }
    }
}

/// One entity tag: its opaque text (without the quotes) and whether it is weak (`W/"…"`).
public struct EntityTag: Sendable, Equatable {
    public var opaque: String
    public var isWeak: Bool

    public init(_ opaque: String, isWeak: Bool = false) {
        self.opaque = opaque
        self.isWeak = isWeak
    }

    /// The field value: `"opaque"` or `W/"opaque"`.
    public var fieldValue: String { (isWeak ? "W/" : "") + "\"" + opaque + "\"" }

    /// Reads `[W/] DQUOTE *etagc DQUOTE` from the front of `text`; etagc is %x21 / %x23-7E / obs-text.
    static func parse(_ text: inout Substring) throws(EntityTagCondition.SyntaxError) -> EntityTag {
        var weak = false
        if text.hasPrefix("W/") {
            weak = true
            text = text.dropFirst(2)
        }
        let invalid = EntityTagCondition.SyntaxError(
            description: "an entity tag must be a quoted string, optionally W/-prefixed, in a comma-separated list")
        guard text.first == "\"" else { throw invalid }
        let body = text.dropFirst()
        guard let close = body.firstIndex(of: "\"") else { throw invalid }
        let opaque = body[..<close]
        guard opaque.utf8.allSatisfy({ $0 == 0x21 || (0x23...0x7E).contains($0) || $0 >= 0x80 }) else { throw invalid }
        text = body[body.index(after: close)...]
        return EntityTag(String(opaque), isWeak: weak)
    }
}
