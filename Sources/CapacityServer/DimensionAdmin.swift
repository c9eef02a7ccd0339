import FileStore
import Scaling

/// What `capacityd dimensions …` does, on the store directly. The store's directory lock admits one process, so
/// while a server runs on it these commands refuse (and say so) rather than write behind its back.
public enum DimensionAdmin {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Field values an administrator sets; nil leaves a field as it is (or at its default when creating).
    public struct Fields: Sendable {
        public var version: String?
        public var resourceName: String?
        public var dimensionName: String?
        public var actualCapacity: Double?
        public var desiredCapacity: Double?
        public var scalingStatus: ScalingStatus?
        /// `.some(nil)` clears the reason.
        public var failureReason: String??

        public init(version: String? = nil, resourceName: String? = nil, dimensionName: String? = nil,
                    actualCapacity: Double? = nil, desiredCapacity: Double? = nil, scalingStatus: ScalingStatus? = nil,
                    failureReason: String?? = nil) {
            self.version = version
            self.resourceName = resourceName
            self.dimensionName = dimensionName
            self.actualCapacity = actualCapacity
            self.desiredCapacity = desiredCapacity
            self.scalingStatus = scalingStatus
            self.failureReason = failureReason
        }

        var isEmpty: Bool {
            version == nil && resourceName == nil && dimensionName == nil && actualCapacity == nil
                && desiredCapacity == nil && scalingStatus == nil && failureReason == nil
        }

        func applied(to dimension: Dimension) throws(ScalingError) -> Dimension {
            for (name, value) in [("actualCapacity", actualCapacity), ("desiredCapacity", desiredCapacity)] {
                if let value, !(value.isFinite && value >= 0) {
                    throw .invalidUpdate("\(name) must be a finite number >= 0")
                }
            }
            var next = dimension
            if let version { next.version = version }
            if let resourceName { next.resourceName = resourceName }
            if let dimensionName { next.dimensionName = dimensionName }
            if let actualCapacity { next.actualCapacity = actualCapacity }
            if let desiredCapacity { next.desiredCapacity = desiredCapacity }
            if let scalingStatus { next.scalingStatus = scalingStatus }
            if let failureReason { next.failureReason = failureReason }
            return next
        }
    }

    public enum Output {
        case text, json
    }

    public static func list(stateDirectory: String, output: Output) throws(Failure) -> String {
        try withStore(stateDirectory) { store throws(Failure) in
            let dimensions = store.allDimensions()
            switch output {
            case .json:
                return "[" + dimensions.map(json).joined(separator: ", ") + "]"
            case .text:
                let rows = [["ID", "DESIRED", "ACTUAL", "STATUS", "FAILURE"]] + dimensions.map {
                    [$0.id.value, "\($0.desiredCapacity)", "\($0.actualCapacity)", $0.scalingStatus.rawValue,
                     $0.failureReason ?? ""]
                }
                return table(rows)
            }
        }
    }

    public static func get(_ id: String, stateDirectory: String, output: Output) throws(Failure) -> String {
        let id = try parse(id)
        return try withStore(stateDirectory) { store throws(Failure) in
            guard let dimension = store.dimension(id) else { throw Failure(description: ScalingError.notFound(id).message) }
            return describe(dimension, output)
        }
    }

    /// A new dimension from the defaults and `fields`; refuses an id that exists.
    public static func create(_ id: String, fields: Fields, defaults: DimensionDefaults, stateDirectory: String,
                              output: Output) throws(Failure) -> String {
        let id = try parse(id)
        return try change(id, stateDirectory: stateDirectory, output: output) { current throws(ScalingError) in
            guard current == nil else { throw .invalidUpdate("Dimension \(id.value) already exists (use set)") }
            return try fields.applied(to: defaults.makeDimension(id: id))
        }
    }

    /// Sets fields of an existing dimension exactly as given: an administrator's override, not a scaling event.
    public static func set(_ id: String, fields: Fields, stateDirectory: String, output: Output) throws(Failure) -> String {
        let id = try parse(id)
        guard !fields.isEmpty else { throw Failure(description: "nothing to set: give at least one field option") }
        return try change(id, stateDirectory: stateDirectory, output: output) { current throws(ScalingError) in
            guard let current else { throw .notFound(id) }
            return try fields.applied(to: current)
        }
    }

    public static func delete(_ id: String, stateDirectory: String, output: Output) throws(Failure) -> String {
        let id = try parse(id)
        return try withStore(stateDirectory) { store throws(Failure) in
            switch store.deleteAndWait(id) {
            case .success(let removed): return output == .json ? json(removed) : "deleted \(id.value)"
            case .failure(let error): throw Failure(description: error.message)
            }
        }
    }

    // MARK: Helpers

    private static func change(_ id: DimensionID, stateDirectory: String, output: Output,
                               _ body: @escaping @Sendable (Dimension?) throws(ScalingError) -> Dimension) throws(Failure) -> String {
        try withStore(stateDirectory) { store throws(Failure) in
            switch store.updateAndWait(id, body) {
            case .success(let change): return describe(change.after, output)
            case .failure(let error): throw Failure(description: error.message)
            }
        }
    }

    private static func withStore(_ directory: String,
                                  _ body: (FileStore) throws(Failure) -> String) throws(Failure) -> String {
        let store: FileStore
        do {
            store = try FileStore(directory: directory)
        } catch {
            throw Failure(description: error.description)
        }
        defer { store.close() }
        return try body(store)
    }

    private static func parse(_ text: String) throws(Failure) -> DimensionID {
        do {
            return try DimensionID(text)
        } catch {
            throw Failure(description: error.message)
        }
    }

    private static func json(_ dimension: Dimension) -> String {
        String(decoding: DimensionJSON.encode(dimension), as: UTF8.self)
    }

    private static func describe(_ dimension: Dimension, _ output: Output) -> String {
        if output == .json { return json(dimension) }
        var rows = [["scalableTargetDimensionId", dimension.id.value], ["version", dimension.version],
                    ["resourceName", dimension.resourceName], ["dimensionName", dimension.dimensionName],
                    ["actualCapacity", "\(dimension.actualCapacity)"], ["desiredCapacity", "\(dimension.desiredCapacity)"],
                    ["scalingStatus", dimension.scalingStatus.rawValue]]
        if let reason = dimension.failureReason { rows.append(["failureReason", reason]) }
        return table(rows)
    }

    /// Left-aligned columns, two spaces apart.
    private static func table(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 2)
            }.joined()
        }.joined(separator: "\n")
    }
}
