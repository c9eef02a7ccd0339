import StoreContract
@testable import PostgresStore
import Scaling
import SystemIO
import Testing

/// The PostgreSQL store's locked path (`serveLocked`), which an update takes once it has lost its optimistic
/// rounds to other instances: driven directly here, since only a contended id reaches it otherwise. Its rows must
/// hold what the batch statement's rows hold: both write through the one encoder (`appendState`); and its changes
/// make their events in the same transaction, as the batch statement's do.
@Suite("PostgreSQL store: the locked write")
struct PostgresLockedWriteTests {
    /// Values that each column's encoding must carry exactly: escapes and non-ASCII text, fractions and
    /// exponents, a failure reason or none.
    static let states: [Dimension] = [
        Dimension(id: id("locked"), version: "V", resourceName: "R", dimensionName: "D", actualCapacity: 1,
                  desiredCapacity: 2, scalingStatus: .successful),
        Dimension(id: id("locked"), version: #"quoted "v" \ é"#, resourceName: "tab\tR", dimensionName: "日本",
                  actualCapacity: 0.1, desiredCapacity: 1e-05, scalingStatus: .failed, failureReason: "line\nbreak"),
        Dimension(id: id("locked"), version: "V", resourceName: "R", dimensionName: "D",
                  actualCapacity: 9_007_199_254_740_994, desiredCapacity: 1.5e300, scalingStatus: .inProgress),
    ]

    /// Fails if a state the locked path inserts, or updates a row to, reads back as anything else, in its row or in
    /// its events.
    @Test(arguments: states)
    func aLockedWriteStoresTheStateExactly(_ state: Dimension) throws {
        try withOnePostgresStore { store, settings in
            let connection = try DatabaseConnection(settings)

            func writeLocked(_ dimension: Dimension) throws {
                let result = Locked<Result<DimensionChange, ScalingError>?>(nil)
                var work = PostgresStore.Work(operation: .update(dimension.id, DimensionImport(dimension, overwrite: true)) { outcome in
                    result.withLock { $0 = outcome }
                })
                #expect(store.serveLocked(&work, on: connection))
                let change = try #require(result.withLock { $0 }).get()
                #expect(change.after == dimension)
            }
            func row() throws -> Dimension? {
                let rows = try connection.execute(
                    "SELECT revision, \(PostgresStore.columns) FROM \(Schema.dimensionsTable) WHERE id = $1", [state.id.value])
                return PostgresStore.state(in: try #require(rows.first), from: 0, id: state.id)?.dimension
            }

            var other = state
            other.desiredCapacity = state.desiredCapacity + 1
            other.failureReason = state.failureReason == nil ? "other" : nil
            try writeLocked(other)
            #expect(try row() == other)
            try writeLocked(state)
            #expect(try row() == state)
            let events = try #require(store.outbox).outboxEntries().get()
            #expect(events.map(\.event.dimension) == [other, state] && events.map(\.event.previous) == [nil, other])
            #expect(events.last?.event.dimension.revision == (try row())?.revision)
        }
    }
}
