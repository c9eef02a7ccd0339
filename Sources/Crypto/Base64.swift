/// Base64 (RFC 4648): the standard alphabet with padding (§4), which Standard Webhooks writes secrets and
/// signatures in, and the URL-safe one without padding (§5), which JWS and ACME use. One encoder serves both.
public enum Base64 {
    public enum Alphabet: Sendable {
        /// `+` and `/`, padded with `=`.
        case standard
        /// `-` and `_`, unpadded.
        case url

        var characters: [UInt8] {
            switch self {
            case .standard: Base64.standardCharacters
            case .url: Base64.urlCharacters
            }
        }
    }

    private static let standardCharacters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlCharacters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Each byte's value in the standard alphabet, 0xff for a byte outside it.
    private static let standardValues: [UInt8] = {
        var values = [UInt8](repeating: 0xff, count: 256)
        for (value, character) in standardCharacters.enumerated() { values[Int(character)] = UInt8(value) }
        return values
    }()

    public static func encode(_ bytes: some Collection<UInt8>, alphabet: Alphabet = .standard) -> String {
        let characters = alphabet.characters
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= input.count {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            for shift in [18, 12, 6, 0] { out.append(characters[Int(value >> UInt32(shift) & 63)]) }
            index += 3
        }
        let remaining = input.count - index
        if remaining > 0 {
            let value = UInt32(input[index]) << 16 | (remaining == 2 ? UInt32(input[index + 1]) << 8 : 0)
            for shift in [18, 12, 6].prefix(remaining + 1) { out.append(characters[Int(value >> UInt32(shift) & 63)]) }
            if alphabet == .standard { out += repeatElement(UInt8(ascii: "="), count: 3 - remaining) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Strict decoding of the standard alphabet with padding: whole groups of four, `=` only at the end, no other
    /// character (no line breaks, no spaces), and no set bits past the last byte, so every text decodes from one
    /// encoding only and a mangled secret is refused rather than read as another key.
    public static func decode(_ text: some StringProtocol) throws(Base64Error) -> [UInt8] {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { throw .length(input.count) }
        let padding = input.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        guard padding <= 2 else { throw .character(offset: input.count - padding) }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var value: UInt32 = 0
        for (offset, character) in input.dropLast(padding).enumerated() {
            let digit = standardValues[Int(character)]
            guard digit != 0xff else { throw .character(offset: offset) }
            value = value << 6 | UInt32(digit)
            if offset % 4 == 3 {
                out += [UInt8(value >> 16), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
                value = 0
            }
        }
        switch padding {
        case 1:
            guard value & 0x3 == 0 else { throw .trailingBits }
            out += [UInt8(value >> 10), UInt8(value >> 2 & 0xff)]
        case 2:
            guard value & 0xf == 0 else { throw .trailingBits }
            out.append(UInt8(value >> 4))
        default: break
        }
        return out
    }
}

/// Why a text is not strict, padded base64.
public enum Base64Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a whole number of four-character groups.
    case length(Int)
    /// Not in the alphabet (or `=` before the end), at this offset.
    case character(offset: Int)
    /// The last character carries bits that no byte uses: not how any encoder writes these bytes.
    case trailingBits

    public var description: String {
        switch self {
        case .length(let count): "\(count) characters: base64 comes in groups of 4"
        case .character(let offset): "character \(offset + 1) is not base64"
        case .trailingBits: "its last character is not how base64 ends these bytes"
        }
    }
}
