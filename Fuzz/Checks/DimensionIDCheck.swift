import Scaling

/// A path segment from the network: decoded to an id that can only ever be a key (valid UTF-8, bounded, no control
/// character or `/`, never `.` or `..`), or refused; and an accepted id reads the same through either door.
public enum DimensionIDCheck {
    public static func run(_ input: [UInt8]) {
        let segment = Substring(String(decoding: input, as: UTF8.self))
        let id: DimensionID
        do {
            id = try DimensionID(percentEncoded: segment)
        } catch {
            guard case .invalidID = error else { preconditionFailure("an id failed with \(error)") }
            return
        }
        let bytes = Array(id.value.utf8)
        precondition(!bytes.isEmpty && bytes.count <= DimensionID.maxLength, "length \(bytes.count)")
        precondition(String(validating: bytes, as: UTF8.self) != nil, "not UTF-8: \(bytes)")
        precondition(!id.value.unicodeScalars.contains(where: isForbidden), "a control character or '/' in \(bytes)")
        precondition(id.value != "." && id.value != "..", "a dot id")
        precondition((try? DimensionID(id.value)) == id, "the plain initializer disagrees about \(id)")
        precondition((try? DimensionID(percentEncoded: Substring(percentEncodeAll(bytes)))) == id,
                     "fully percent-encoded form of \(id) did not decode to it")
    }

    /// Written out again here rather than taken from `DimensionID`, so the check does not trust what it checks.
    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2F: true
        default: false
        }
    }

    static func percentEncodeAll(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in bytes { out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }
}
