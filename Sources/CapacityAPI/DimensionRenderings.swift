import Scaling
import SystemIO

/// The renderings of the dimensions answered lately, shared by every event loop. Rendering a dimension costs
/// about a fifth of a dimension GET's instructions, and Application Auto Scaling polls each of its dimensions
/// unchanged most of the time, so a rendering is made once and kept until its dimension changes.
///
/// Direct-mapped: an id has one slot, chosen by its hash, holding the rendering of one dimension. A slot's
/// rendering is used only if its dimension equals the one asked for, at the same revision (the same box, one
/// pointer comparison, when the store hands out the state it keeps), so a changed dimension, or another id in the same slot, is rendered
/// afresh and takes the slot. Memory is bounded by the slots; each has its own lock, so loops wait for each other
/// only on the same slot.
final class DimensionRenderings: Sendable {
    private let slots: [Locked<RenderedDimension?>]

    /// 1,024 slots: a server answers for a handful of dimensions, seldom for more than a few hundred.
    init(slots: Int = 1024) {
        precondition(slots > 0, "a cache needs a slot")
        self.slots = (0..<slots).map { _ in Locked(nil) }
    }

    /// `dimension`'s rendering: the one kept if it renders this dimension, otherwise a new one, kept from now on.
    func rendering(of dimension: Dimension) -> RenderedDimension {
        let slot = slots[Int(UInt(bitPattern: dimension.id.hashValue) % UInt(slots.count))]
        return slot.withLock { kept in
            if let rendered = kept, rendered.renders(dimension) { return rendered }
            let rendered = RenderedDimension(dimension)
            kept = rendered
            return rendered
        }
    }
}
