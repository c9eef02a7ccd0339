import Scaling

/// A dimension as the API renders it: the JSON a request is answered with and the headers that go with it, and
/// the transition log's lines for a GET and for a request that changed nothing. Kept by `DimensionRenderings`, so
/// a dimension polled unchanged, as Application Auto Scaling does, is rendered once and not at every request.
final class RenderedDimension: Sendable {
    /// What this renders, to tell whether it still renders the dimension a request is answered with.
    let dimension: Dimension
    let json: [UInt8]
    /// The `ETag` of the dimension's revision.
    let entityTag: String
    /// `Content-Type` and `ETag`.
    let headers: [(name: String, value: String)]
    /// `Request: GET dimensionId: ID `
    let getRequestLine: [UInt8]
    /// `Response: dimensionId: ID  actualCapacity: X = desiredCapacity: Y  `
    let unchangedResponseLine: [UInt8]

    init(_ dimension: Dimension) {
        self.dimension = dimension
        json = DimensionJSON.encode(dimension)
        entityTag = ConditionalRequest.entityTag(dimension.revision)
        headers = [JSONContent.header, (name: "ETag", value: entityTag)]
        getRequestLine = TransitionLog.requestLineBytes(method: "GET", id: dimension.id.value, body: [])
        unchangedResponseLine = TransitionLog.responseLineBytes(id: dimension.id.value, before: dimension, after: dimension)
    }

    /// Whether this renders `other`: the same state at the same revision.
    func renders(_ other: Dimension) -> Bool {
        dimension == other && dimension.revision == other.revision
    }
}
