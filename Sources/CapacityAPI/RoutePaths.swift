import Glibc
import HTTP1

/// The patterns of a table's routes as bytes, in route order, and how a path finds its route: byte comparisons with
/// `memcmp`, touching a route only once it matched (callgrind: a scan over the route values with generic UTF-8 view
/// comparisons cost a `GET /time` 20 % more instructions). A value without handlers, so the metrics can keep it
/// without keeping the routes (whose `/metrics` handler keeps the metrics).
public struct RoutePaths: Sendable {
    /// Each route's pattern, in route order: the metrics labels.
    public let patterns: [String]
    private let matchers: [Matcher]
    private static let root: [UInt8] = [UInt8(ascii: "/")]

    private struct Matcher: Sendable {
        let bytes: [UInt8]
        /// A prefix followed by one parameter segment, or the whole path.
        let isPrefix: Bool
    }

    init(_ routes: [Route]) {
        patterns = routes.map(\.pattern)
        matchers = routes.map { Matcher(bytes: Array(($0.prefix ?? $0.pattern).utf8), isPrefix: $0.prefix != nil) }
    }

    /// The route whose pattern matches the request's path, and its parameter ("" for a literal path): matched on
    /// the target's bytes where the parser found the path, and only a parameter made a `Substring`.
    func route(of head: RequestHead) -> (index: Int, parameter: Substring)? {
        guard let bounds = head.pathBounds else {
            // `http://host` or `http://host?query`: the path is "/", which has no parameter.
            return Self.root.withUnsafeBufferPointer { match($0) }.map { ($0.index, "") }
        }
        guard let found = head.withTarget({ match(UnsafeBufferPointer(rebasing: $0[bounds])) }) else { return nil }
        guard matchers[found.index].isPrefix else { return (found.index, "") }
        let parameter = (bounds.lowerBound + found.parameterOffset)..<bounds.upperBound
        return (found.index, head.withTarget { Substring(decoding: UnsafeBufferPointer(rebasing: $0[parameter]), as: UTF8.self) })
    }

    /// The index of the route a request target (path and query) went to, or nil for none: what the metrics label a
    /// request with that the route table did not tag (the engine's own refusals).
    public func routeIndex(ofTarget target: String) -> Int? {
        var target = target
        return target.withUTF8 { bytes in
            match(UnsafeBufferPointer(rebasing: bytes[..<(bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.count)]))?.index
        }
    }

    /// The first route whose literal path is `path`, or whose prefix is followed by one non-empty segment without
    /// a further `/`; with where its parameter starts.
    private func match(_ path: UnsafeBufferPointer<UInt8>) -> (index: Int, parameterOffset: Int)? {
        for (index, matcher) in matchers.enumerated() {
            let literal = matcher.bytes
            if matcher.isPrefix {
                guard path.count > literal.count, Self.same(path, literal),
                      !path[literal.count...].contains(UInt8(ascii: "/")) else { continue }
                return (index, literal.count)
            }
            if path.count == literal.count && Self.same(path, literal) { return (index, path.count) }
        }
        return nil
    }

    /// Whether `bytes` starts with `literal` (`bytes` is at least as long).
    @inline(__always)
    private static func same(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: [UInt8]) -> Bool {
        guard let start = bytes.baseAddress, !literal.isEmpty else { return literal.isEmpty }
        return literal.withUnsafeBufferPointer { memcmp(start, $0.baseAddress!, $0.count) == 0 }
    }

}
