import Synchronization
import Testing
@testable import Scaling

/// A rendering that counts how often it was made.
private final class Counted: DimensionRendering {
    static let made = Atomic<Int>(0)
    let capacity: Double

    init(_ dimension: Dimension) {
        capacity = dimension.actualCapacity
        Self.made.add(1, ordering: .relaxed)
    }
}

/// A second kind of rendering, for the one-slot rule.
private final class Other: DimensionRendering {
    init(_ dimension: Dimension) {}
}

@Suite("Dimension: a rendering kept with its fields", .serialized)
struct DimensionRenderingTests {
    private func dimension() throws -> Dimension {
        Dimension(id: try DimensionID("rendered"), version: "V", resourceName: "R", dimensionName: "D",
                  actualCapacity: 1, desiredCapacity: 1, scalingStatus: .successful)
    }

    @Test func madeOnceAndSharedByCopies() throws {
        let before = Counted.made.load(ordering: .relaxed)
        let original = try dimension()
        let first = original.rendering(Counted.init)
        let copy = original
        #expect(copy.rendering(Counted.init) === first)
        #expect(original.rendering(Counted.init) === first)
        #expect(Counted.made.load(ordering: .relaxed) == before + 1)
    }

    @Test func aChangedFieldIsRenderedAfresh() throws {
        var changed = try dimension()
        let old = changed.rendering(Counted.init)
        changed.actualCapacity = 5
        let new = changed.rendering(Counted.init)
        #expect(new !== old)
        #expect(new.capacity == 5)
        #expect(old.capacity == 1)
    }

    @Test func aSecondKindIsMadeEachTimeAndTheFirstKept() throws {
        let value = try dimension()
        let kept = value.rendering(Counted.init)
        #expect(value.rendering(Other.init) !== value.rendering(Other.init))
        #expect(value.rendering(Counted.init) === kept)
    }

    /// Threads racing to render one dimension first all get the one that was kept (under the thread sanitizer, the
    /// check that the slot is race-free).
    @Test func racingThreadsAgreeOnOne() async throws {
        let value = try dimension()
        let renderings = await withTaskGroup(of: ObjectIdentifier.self) { group in
            for _ in 0..<8 {
                group.addTask { ObjectIdentifier(value.rendering(Counted.init)) }
            }
            var seen = Set<ObjectIdentifier>()
            for await rendering in group { seen.insert(rendering) }
            return seen
        }
        #expect(renderings.count == 1)
        #expect(renderings.first == ObjectIdentifier(value.rendering(Counted.init)))
    }
}
