/// A configuration rule broken, in words with the settings it is about named by field (`"\(.poolSize) must be 1
/// to 64"`): each layer states its rules in its own terms, and what read the settings names them as its user
/// wrote them (`--database-pool`).
public struct InvalidSetting<Field: Sendable>: Error, Sendable, ExpressibleByStringInterpolation {
    public enum Piece: Sendable {
        case text(String)
        case field(Field)
    }

    public let pieces: [Piece]

    public init(pieces: [Piece]) {
        self.pieces = pieces
    }

    public init(stringLiteral text: String) {
        pieces = [.text(text)]
    }

    public init(stringInterpolation: Interpolation) {
        pieces = stringInterpolation.pieces
    }

    /// The message, each field called by `name`.
    public func message(naming name: (Field) -> String) -> String {
        pieces.map { piece in
            switch piece {
            case .text(let text): text
            case .field(let field): name(field)
            }
        }.joined()
    }

    /// The same message about the fields of a wider set of settings (a store's inside a server's).
    public func map<Wider>(_ widen: (Field) -> Wider) -> InvalidSetting<Wider> {
        InvalidSetting<Wider>(pieces: pieces.map { piece in
            switch piece {
            case .text(let text): .text(text)
            case .field(let field): .field(widen(field))
            }
        })
    }

    public struct Interpolation: StringInterpolationProtocol {
        var pieces: [Piece] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) {
            if !literal.isEmpty { pieces.append(.text(literal)) }
        }

        public mutating func appendInterpolation(_ field: Field) {
            pieces.append(.field(field))
        }

        public mutating func appendInterpolation(_ value: some CustomStringConvertible) {
            pieces.append(.text(value.description))
        }
    }
}
