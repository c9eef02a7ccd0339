import StoreContract
import Scaling

/// How the instances sharing a database tell each other of their changes: every statement that writes a dimension
/// row also sends, for each row, `pg_notify` on one channel with the payload `<revision> <id>` (revision 0 for a
/// deletion). PostgreSQL delivers a notification when its transaction commits, and never one of a transaction
/// rolled back, so a session that `LISTEN`s hears exactly the committed writes, in commit order. An id (at most
/// 1,600 bytes) and a revision fit the payload's 8,000 bytes with room to spare.
enum ChangeNotification {
    static let channel = "capacityd_changes"

    /// The SQL expression that sends the notification of a row written at `revision` (a bigint expression, or
    /// `'0'` for a deletion) with id `id`. Belongs in the `RETURNING` list of the write: PostgreSQL computes it
    /// for every row written, and runs a data-modifying statement to completion even inside a `WITH` whose result
    /// the main query does not read, which a plain `SELECT` in a `WITH` would not be.
    static func sent(revision: String, id: String) -> String {
        "pg_notify('\(channel)', \(revision) || ' ' || \(id))"
    }

    /// The change a payload tells of, or nil for one that does not read exactly as `sent` makes it: decimal
    /// digits without a sign or a leading zero, one space, a valid id.
    static func change(_ payload: String) -> StoreChange? {
        let utf8 = payload.utf8
        guard let space = utf8.firstIndex(of: UInt8(ascii: " ")) else { return nil }
        let digits = utf8[..<space]
        guard !digits.isEmpty, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              digits.count == 1 || digits.first != UInt8(ascii: "0"),
              let revision = UInt64(String(decoding: digits, as: UTF8.self)),
              let id = try? DimensionID(String(payload[utf8.index(after: space)...])) else { return nil }
        return .changed(id, revision: revision)
    }
}
