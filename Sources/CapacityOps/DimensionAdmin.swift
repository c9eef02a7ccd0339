import CapacityAPI
import StoreContract
import JSON
import Scaling
import StoreFactory

/// What `capacityd dimensions …` does: on the store directly — a database at any time (it serializes the writes of
/// every instance), the file store only while no server runs (its directory lock admits one process, so the
/// commands refuse rather than write behind a server's back) — or through a running server's admin routes
/// (`--server URL --api-key KEY`).
public enum DimensionAdmin {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public typealias Fields = DimensionFields

    public enum Target: Sendable {
        case store(StoreLocation)
        case server(url: String, apiKey: String?)
    }

    public enum Output {
        case text, json
    }

    public static func list(_ target: Target, output: Output) throws(Failure) -> String {
        let dimensions: [Dimension]
        switch target {
        case .store(let location):
            dimensions = try durableDimensions(location)
        case .server(let url, let apiKey):
            let body = try call("GET", AdminRoutes.prefix, url: url, apiKey: apiKey)
            guard case .array(let values)? = try? JSONParser.parse(body) else {
                throw Failure(description: "\(url): the answer is not a JSON array")
            }
            dimensions = try values.map { value throws(Failure) in
                var bytes: [UInt8] = []
                JSONWriter.append(value, to: &bytes)
                return try decode(bytes, from: url)
            }
        }
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

    public static func get(_ id: String, _ target: Target, output: Output) throws(Failure) -> String {
        let id = try parse(id)
        switch target {
        case .store(let location):
            guard let found = try durableDimensions(location).first(where: { $0.id == id }) else {
                throw Failure(description: ScalingError.notFound(id).message)
            }
            return describe(found, output)
        case .server(let url, let apiKey):
            return try remote("GET", id, url: url, apiKey: apiKey, output: output)
        }
    }

    /// A new dimension from the defaults and `fields`; refuses an id that exists.
    public static func create(_ id: String, fields: Fields, defaults: DimensionDefaults, _ target: Target,
                              output: Output) throws(Failure) -> String {
        let id = try parse(id)
        switch target {
        case .server(let url, let apiKey):
            return try remote("POST", id, body: fields.encode(), url: url, apiKey: apiKey, output: output)
        case .store(let location):
            return try change(id, location, output: output, DimensionEdit(fields: fields, creating: defaults))
        }
    }

    /// Sets fields of an existing dimension exactly as given: an administrator's override, not a scaling event.
    public static func set(_ id: String, fields: Fields, _ target: Target, output: Output) throws(Failure) -> String {
        let id = try parse(id)
        guard !fields.isEmpty else { throw Failure(description: "nothing to set: give at least one field option") }
        switch target {
        case .server(let url, let apiKey):
            return try remote("PUT", id, body: fields.encode(), url: url, apiKey: apiKey, output: output)
        case .store(let location):
            return try change(id, location, output: output, DimensionEdit(fields: fields, creating: nil))
        }
    }

    public static func delete(_ id: String, _ target: Target, output: Output) throws(Failure) -> String {
        let id = try parse(id)
        let removed: Dimension
        switch target {
        case .store(let location):
            let outcome = try withStore(location) { store in store.deleteAndWait(id) }
            switch outcome {
            case .success(let dimension): removed = dimension
            case .failure(let error): throw Failure(description: error.message)
            }
        case .server(let url, let apiKey):
            removed = try decode(try call("DELETE", AdminRoutes.prefix + "/" + id.pathSegment, url: url,
                                          apiKey: apiKey), from: url)
        }
        return output == .json ? json(removed) : "deleted \(id.value)"
    }

    // MARK: Through a running server

    private static func remote(_ method: String, _ id: DimensionID, body: [UInt8]? = nil, url: String, apiKey: String?,
                               output: Output) throws(Failure) -> String {
        let answer = try call(method, AdminRoutes.prefix + "/" + id.pathSegment, body: body, url: url, apiKey: apiKey)
        return describe(try decode(answer, from: url), output)
    }

    /// One admin request; a non-200 answer becomes the failure, with the server's message.
    static func call(_ method: String, _ path: String, body: [UInt8]? = nil, url: String,
                             apiKey: String?) throws(Failure) -> [UInt8] {
        let response: AdminClient.Response
        do {
            response = try AdminClient.request(method, path, body: body, url: url, apiKey: apiKey)
        } catch {
            throw Failure(description: error.description)
        }
        guard response.status == 200 else {
            var message = "status \(response.status)"
            if case .object(let object)? = try? JSONParser.parse(response.body), case .string(let text)? = object["message"] {
                message = text
            }
            if response.status == 404 && message.hasPrefix("No such resource") {
                message = "\(url) has no admin routes: start it with --api-keys"
            }
            throw Failure(description: message)
        }
        return response.body
    }

    private static func decode(_ bytes: [UInt8], from url: String) throws(Failure) -> Dimension {
        do {
            return try DimensionJSON.decode(bytes)
        } catch {
            throw Failure(description: "\(url): unexpected answer: \(error.description)")
        }
    }

    // MARK: On the store

    private static func change(_ id: DimensionID, _ location: StoreLocation, output: Output,
                               _ edit: DimensionEdit) throws(Failure) -> String {
        let outcome = try withStore(location) { store in store.updateAndWait(id, edit) }
        switch outcome {
        case .success(let change): return describe(change.after, output)
        case .failure(let error): throw Failure(description: error.message)
        }
    }

    /// Looking needs no lock: a file store that a server holds is read as the server last made it durable.
    private static func durableDimensions(_ location: StoreLocation) throws(Failure) -> [Dimension] {
        do {
            return try location.durableDimensions()
        } catch {
            throw Failure(description: error.description)
        }
    }

    private static func withStore<Value>(_ location: StoreLocation,
                                         _ body: (DimensionStore) throws(Failure) -> Value) throws(Failure) -> Value {
        let store: DimensionStore
        do {
            store = try location.open()
        } catch {
            let hint = location.isExclusive ? " (while a server runs, use --server URL --api-key KEY)" : ""
            throw Failure(description: error.description + hint)
        }
        defer { store.close() }
        return try body(store)
    }

    // MARK: Output

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
    static func table(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 2)
            }.joined()
        }.joined(separator: "\n")
    }
}
