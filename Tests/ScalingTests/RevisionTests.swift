import Scaling
import Testing

@Suite("Revisions and preconditions")
struct RevisionTests {
    static let id = try! DimensionID("a")

    static func at(_ revision: UInt64) -> Dimension {
        Dimension(id: id, version: "V", resourceName: "R", dimensionName: "D", actualCapacity: 1, desiredCapacity: 1,
                  scalingStatus: .successful, revision: revision)
    }

    /// (counter's last, before's revision or nil, after's revision, the stamped revision)
    @Test("a change takes the counter's next, or a higher revision it brings", arguments: [
        (0, nil, 0, 1), (7, nil, 0, 8), (7, 3, 3, 8),   // an ordinary change: after keeps before's revision
        (2, 5, 5, 6),                                   // the counter never gives a revision at or below before's
        (7, nil, 100, 100), (7, 3, 100, 100),           // an import keeps a higher revision
        (200, 3, 100, 201), (7, 50, 20, 51),            // …but never goes below the counter or before's
    ] as [(UInt64, UInt64?, UInt64, UInt64)])
    func stamp(last: UInt64, before: UInt64?, after: UInt64, expected: UInt64) {
        var counter = RevisionCounter(last: last)
        let stamped = counter.stamp(Self.at(after), before: before.map(Self.at))
        #expect(stamped.revision == expected)
        #expect(counter.last == expected)
    }

    /// (If-Match, If-None-Match, the current revision or nil for none, whether the condition holds)
    @Test("If-Match and If-None-Match as revisions", arguments: [
        (nil, nil, 3, true), (nil, nil, nil, true),
        (.listed([3]), nil, 3, true), (.listed([2, 3]), nil, 3, true), (.listed([2]), nil, 3, false),
        (.listed([]), nil, 3, false), (.listed([3]), nil, nil, false), (.any, nil, 3, true), (.any, nil, nil, false),
        (nil, .listed([3]), 3, false), (nil, .listed([2]), 3, true), (nil, .listed([3]), nil, true),
        (nil, .any, 3, false), (nil, .any, nil, true),
        (.listed([3]), .listed([3]), 3, false), (.listed([3]), .listed([2]), 3, true),
    ] as [(RevisionCondition.Revisions?, RevisionCondition.Revisions?, UInt64?, Bool)])
    func condition(ifMatch: RevisionCondition.Revisions?, ifNoneMatch: RevisionCondition.Revisions?,
                   current: UInt64?, holds: Bool) {
        let condition = RevisionCondition(ifMatch: ifMatch, ifNoneMatch: ifNoneMatch)
        let dimension = current.map(Self.at)
        if holds {
            #expect(throws: Never.self) { try condition.check(dimension, id: Self.id) }
        } else {
            #expect(throws: ScalingError.preconditionFailed(Self.id, revision: current)) {
                try condition.check(dimension, id: Self.id)
            }
        }
    }

    @Test("a request's condition is checked before it creates or changes anything")
    func requestChecksFirst() {
        let patch = ScalingRequest(update: DimensionUpdate(desiredCapacity: 5), mode: .production,
                                   creation: DimensionDefaults(), condition: RevisionCondition(ifMatch: .listed([4])))
        #expect(throws: ScalingError.preconditionFailed(Self.id, revision: 3)) { try patch.next(Self.at(3), id: Self.id) }
        #expect(throws: ScalingError.preconditionFailed(Self.id, revision: nil)) { try patch.next(nil, id: Self.id) }
        #expect((try? patch.next(Self.at(4), id: Self.id))?.desiredCapacity == 5)
    }

    @Test("a dimension's revision is no part of its state's equality")
    func equalityIgnoresRevision() {
        #expect(Self.at(1) == Self.at(2))
        var changed = Self.at(1)
        changed.desiredCapacity = 2
        #expect(changed != Self.at(1))
    }
}
