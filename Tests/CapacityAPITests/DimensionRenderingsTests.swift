@testable import CapacityAPI
import Scaling
import Testing

/// The renderings kept for dimensions polled unchanged: kept while the dimension is the same, made afresh when it
/// changes or another id takes its slot.
@Suite("Dimension renderings: kept until the dimension changes")
struct DimensionRenderingsTests {
    private static func dimension(_ id: String = "rendered", actual: Double = 1) throws -> Dimension {
        Dimension(id: try DimensionID(id), version: "V", resourceName: "R", dimensionName: "D",
                  actualCapacity: actual, desiredCapacity: 1, scalingStatus: .successful)
    }

    /// Fails if a rendering's pieces are not those of the dimension it was made from.
    @Test func aRenderingIsItsDimensionsJSONAndLines() throws {
        let dimension = try Self.dimension(actual: 2)
        let rendered = DimensionRenderings().rendering(of: dimension)
        #expect(rendered.dimension == dimension)
        #expect(rendered.json == DimensionJSON.encode(dimension))
        #expect(String(decoding: rendered.getRequestLine, as: UTF8.self)
                == TransitionLog.requestLine(method: "GET", id: "rendered", body: []))
        #expect(String(decoding: rendered.unchangedResponseLine, as: UTF8.self)
                == "Response: dimensionId: rendered  actualCapacity: 2.0 = desiredCapacity: 1.0  ")
    }

    /// Fails if a copy of a dimension, or an equal one made apart, is rendered again.
    @Test func anUnchangedDimensionIsRenderedOnce() throws {
        let renderings = DimensionRenderings()
        let original = try Self.dimension()
        let first = renderings.rendering(of: original)
        let copy = original
        #expect(renderings.rendering(of: copy) === first)
        #expect(renderings.rendering(of: try Self.dimension()) === first)
    }

    /// Fails if a dimension that changed is answered with the rendering of what it was.
    @Test func aChangedDimensionIsRenderedAfresh() throws {
        let renderings = DimensionRenderings()
        var dimension = try Self.dimension()
        let old = renderings.rendering(of: dimension)
        dimension.actualCapacity = 5
        let new = renderings.rendering(of: dimension)
        #expect(new !== old)
        #expect(new.json == DimensionJSON.encode(dimension))
        #expect(old.dimension.actualCapacity == 1)
    }

    /// With one slot every id shares it: fails if an id is answered with another's rendering.
    @Test func idsSharingASlotEachGetTheirOwn() throws {
        let renderings = DimensionRenderings(slots: 1)
        let a = try Self.dimension("a")
        let b = try Self.dimension("b")
        let firstA = renderings.rendering(of: a)
        #expect(renderings.rendering(of: b).dimension == b)
        let secondA = renderings.rendering(of: a)
        #expect(secondA.dimension == a)
        #expect(secondA !== firstA, "b took the one slot")
        #expect(renderings.rendering(of: a) === secondA)
    }

    /// Fails if threads racing to render one dimension get different renderings (under the thread sanitizer, the
    /// check that the slots are race-free).
    @Test func racingThreadsAgreeOnOne() async throws {
        let renderings = DimensionRenderings()
        let dimension = try Self.dimension()
        let seen = await withTaskGroup(of: ObjectIdentifier.self) { group in
            for _ in 0..<8 {
                group.addTask { ObjectIdentifier(renderings.rendering(of: dimension)) }
            }
            var seen = Set<ObjectIdentifier>()
            for await rendering in group { seen.insert(rendering) }
            return seen
        }
        #expect(seen == [ObjectIdentifier(renderings.rendering(of: dimension))])
    }
}
