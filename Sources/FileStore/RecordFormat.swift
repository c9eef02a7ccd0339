import JSON
import Scaling
import StoreContract

/// One line of the store: a dimension's whole new state, its deletion, the store's revision counter (a
/// snapshot's first line, so that a revision never comes back, even for the deleted id that had the highest), an
/// outbox entry's whole state, or its removal once delivered.
public enum StoredRecord: Sendable, Equatable {
    case dimension(Dimension)
    case deletion(DimensionID)
    case lastRevision(UInt64)
    case event(OutboxEntry)
    case eventDelivered(EventKey)

    var isEvent: Bool {
        if case .event = self { true } else { false }
    }
}

/// The on-disk record: one line per dimension state, `<crc32 as 8 hex digits> <dimension JSON>\n`, or
/// `<crc32> {"deletedDimensionId": "ID"}\n` for a deletion, `<crc32> {"lastRevision": N}\n` for the revision
/// counter. Lines are readable with `cut -d' ' -f2- | jq`, and the checksum tells a whole record from a torn or
/// corrupted one.
public enum RecordFormat {
    static let deletionKey = "deletedDimensionId"
    static let lastRevisionKey = "lastRevision"
    /// Revisions are read as JSON numbers, exact up to 2^53: far more changes than a store will ever make.
    static let maxRevision: Double = 9_007_199_254_740_992

    public static func appendLine(_ dimension: Dimension, to out: inout [UInt8]) {
        appendLine(json: RecordJSON.encode(dimension), to: &out)
    }

    public static func appendLine(_ record: StoredRecord, to out: inout [UInt8]) {
        switch record {
        case .dimension(let dimension):
            appendLine(dimension, to: &out)
        case .deletion(let id):
            var json = Array("{\"\(deletionKey)\": ".utf8)
            JSONWriter.appendString(id.value, to: &json)
            json.append(UInt8(ascii: "}"))
            appendLine(json: json, to: &out)
        case .lastRevision(let revision):
            var json = Array("{\"\(lastRevisionKey)\": ".utf8)
            JSONWriter.appendInteger(Int(revision), to: &json)
            json.append(UInt8(ascii: "}"))
            appendLine(json: json, to: &out)
        case .event(let entry):
            appendLine(json: EventRecordJSON.encode(entry), to: &out)
        case .eventDelivered(let key):
            appendLine(json: EventRecordJSON.encodeDelivered(key), to: &out)
        }
    }

    private static func appendLine(json: [UInt8], to out: inout [UInt8]) {
        let crc = CRC32.checksum(json[...])
        let hex = Array("0123456789abcdef".utf8)
        for shift in stride(from: 28, through: 0, by: -4) { out.append(hex[Int((crc >> UInt32(shift)) & 0xF)]) }
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: json)
        out.append(UInt8(ascii: "\n"))
    }

    /// What reading a file of records found.
    public struct Scan {
        /// Whole, valid records in file order.
        public var records: [StoredRecord] = []
        /// The dimension states among them (a snapshot holds nothing else).
        public var dimensions: [Dimension] {
            records.compactMap { if case .dimension(let dimension) = $0 { dimension } else { nil } }
        }
        /// Bytes from the start that hold only whole, valid records.
        public var validLength = 0
        /// Where the first bad record starts, and why it is bad; nil when the whole file is valid.
        public var firstBad: (offset: Int, reason: String)?
        /// Whether a valid record follows the first bad one: then the damage is not a torn tail.
        public var validAfterBad = false
    }

    public static func scan(_ bytes: [UInt8]) -> Scan {
        var result = Scan()
        var lineStart = 0
        while lineStart < bytes.count {
            guard let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) else {
                if result.firstBad == nil { result.firstBad = (lineStart, "incomplete record (no newline)") }
                break
            }
            switch decodeLine(bytes[lineStart..<newline]) {
            case .success(let record):
                if result.firstBad == nil {
                    result.records.append(record)
                    result.validLength = newline + 1
                } else {
                    result.validAfterBad = true
                }
            case .failure(let error):
                if result.firstBad == nil { result.firstBad = (lineStart, error.description) }
            }
            lineStart = newline + 1
        }
        return result
    }

    static func decodeLine(_ line: ArraySlice<UInt8>) -> Result<StoredRecord, RecordJSON.DecodeError> {
        guard line.count > 9, line[line.startIndex + 8] == UInt8(ascii: " ") else {
            return .failure(.init(description: "malformed record"))
        }
        var expected: UInt32 = 0
        for byte in line.prefix(8) {
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            default: return .failure(.init(description: "malformed checksum"))
            }
            expected = expected << 4 | digit
        }
        let json = line.dropFirst(9)
        guard CRC32.checksum(json) == expected else { return .failure(.init(description: "checksum mismatch")) }
        if let id = deletion(json) { return .success(.deletion(id)) }
        if let revision = lastRevision(json) { return .success(.lastRevision(revision)) }
        if json.starts(with: "{\"event".utf8) || json.starts(with: "{\"deliveredEvent".utf8) {
            guard case .object(let object)? = try? JSONParser.parse(json) else {
                return .failure(.init(description: "not a JSON object"))
            }
            do {
                if let record = try EventRecordJSON.decode(object) { return .success(record) }
            } catch {
                return .failure(error)
            }
        }
        do {
            return .success(.dimension(try RecordJSON.decode(json)))
        } catch {
            return .failure(error)
        }
    }
}

extension RecordFormat {
    /// The id of a deletion record (an object with exactly the one key), or nil for anything else.
    static func deletion(_ json: ArraySlice<UInt8>) -> DimensionID? {
        guard json.starts(with: "{\"\(deletionKey)\"".utf8), case .object(let object)? = try? JSONParser.parse(json), object.count == 1,
              case .string(let text)? = object[deletionKey] else { return nil }
        return try? DimensionID(text)
    }

    /// The counter of a revision record (an object with exactly the one key), or nil for anything else.
    static func lastRevision(_ json: ArraySlice<UInt8>) -> UInt64? {
        guard json.starts(with: "{\"\(lastRevisionKey)\"".utf8), case .object(let object)? = try? JSONParser.parse(json),
              object.count == 1, case .number(let number)? = object[lastRevisionKey],
              number >= 0, number <= maxRevision, number.rounded() == number else { return nil }
        return UInt64(number)
    }
}
