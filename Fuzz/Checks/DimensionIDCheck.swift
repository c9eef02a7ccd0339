import Scaling

/// A path segment from the network: decoded to an id that can never name anything but itself (only the safe
/// characters, never `.` or `..`, bounded), or refused; and an accepted id reads the same through either door.
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
        precondition(bytes.allSatisfy(isSafe), "unsafe byte in \(bytes)")
        precondition(id.value != "." && id.value != "..", "a dot id")
        precondition((try? DimensionID(id.value)) == id, "the plain initializer disagrees about \(id)")
        precondition((try? DimensionID(percentEncoded: Substring(percentEncodeAll(bytes)))) == id,
                     "fully percent-encoded form of \(id) did not decode to it")
    }

    static func isSafe(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "._:-".utf8.contains(byte)
        }
    }

    static func percentEncodeAll(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in bytes { out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }
}
