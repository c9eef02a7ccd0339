import HTTP1
import Scaling

/// A dimension request's `If-Match` and `If-None-Match` (RFC 9110 §13), read as revisions: a dimension's `ETag` is
/// its revision in quotes. `If-Match` uses the strong comparison (a weak tag matches nothing) and `If-Match: *`
/// requires nothing, so a client that sends it behaves as one that does not; `If-None-Match` uses the weak one.
/// A field that is not a list of entity tags names no revision, as nginx reads one: an `If-Match` then refuses
/// (412, nothing changes) and an `If-None-Match` matches nothing (a full answer).
struct ConditionalRequest {
    /// What the store checks with the transition, under the id's serialization: `If-Match` on any request, and
    /// `If-None-Match` on a PATCH (a match refuses it with 412).
    var condition: RevisionCondition?
    /// A GET's `If-None-Match`, checked against the state it answers with: a match is a `304`.
    var notModified: RevisionCondition.Revisions?

    init(_ head: RequestHead) {
        let ifMatch = Self.condition(head, "if-match")
        let ifNoneMatch = Self.condition(head, "if-none-match")
        var condition = RevisionCondition()
        if case .tags(let tags)? = ifMatch {
            condition.ifMatch = .listed(tags.filter { !$0.isWeak }.compactMap(Self.revision))
        }
        if let ifNoneMatch {
            let revisions = Self.revisions(ifNoneMatch)
            if head.method == .patch { condition.ifNoneMatch = revisions } else { notModified = revisions }
        }
        self.condition = condition == RevisionCondition() ? nil : condition
    }

    /// The `ETag` of a dimension at `revision`.
    static func entityTag(_ revision: UInt64) -> String {
        EntityTag(String(revision)).fieldValue
    }

    /// The field's condition; an empty list of tags when it is not valid.
    private static func condition(_ head: RequestHead, _ name: String) -> EntityTagCondition? {
        do {
            return try EntityTagCondition(lines: head.headers.values(name))
        } catch {
            return .tags([])
        }
    }

    private static func revisions(_ condition: EntityTagCondition) -> RevisionCondition.Revisions {
        switch condition {
        case .any: .any
        case .tags(let tags): .listed(tags.compactMap(revision))
        }
    }

    /// The revision a tag names; nil for a tag this server never gave (not decimal digits).
    private static func revision(_ tag: EntityTag) -> UInt64? {
        guard !tag.opaque.isEmpty, tag.opaque.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return UInt64(tag.opaque)
    }
}
