@testable import HTTP1

/// Feeds bytes to a parser the way a connection does: a growing buffer from the request's first byte.
struct ParserHarness {
    enum Result: Equatable {
        case complete(method: String, target: String, body: [UInt8], keepAlive: Bool, consumed: Int)
        case incomplete
        case invalid(HTTPParseError)
    }

    /// Parses `text` delivered in one piece.
    static func parse(_ bytes: [UInt8], limits: ParserLimits = ParserLimits()) -> Result {
        var parser = RequestParser(limits: limits)
        return outcome(bytes.withUnsafeBufferPointer { parser.parse($0) }, parser: &parser, bytes: bytes)
    }

    /// Parses `bytes` delivered with a split at `split`: first the prefix, then everything.
    static func parse(_ bytes: [UInt8], split: Int, limits: ParserLimits = ParserLimits()) -> Result {
        var parser = RequestParser(limits: limits)
        let prefix = Array(bytes[0..<split])
        let first = prefix.withUnsafeBufferPointer { parser.parse($0) }
        switch first {
        case .complete, .invalid:
            return outcome(first, parser: &parser, bytes: prefix)
        case .incomplete, .headReceived:
            return outcome(bytes.withUnsafeBufferPointer { parser.parse($0) }, parser: &parser, bytes: bytes)
        }
    }

    /// Parses `bytes` one byte at a time.
    static func parseBytewise(_ bytes: [UInt8], limits: ParserLimits = ParserLimits()) -> Result {
        var parser = RequestParser(limits: limits)
        var last: RequestParser.Outcome = .incomplete
        for end in 1...bytes.count {
            last = Array(bytes[0..<end]).withUnsafeBufferPointer { parser.parse($0) }
            switch last {
            case .complete, .invalid: return outcome(last, parser: &parser, bytes: bytes)
            case .incomplete, .headReceived: continue
            }
        }
        return outcome(last, parser: &parser, bytes: bytes)
    }

    private static func outcome(_ outcome: RequestParser.Outcome, parser: inout RequestParser, bytes: [UInt8]) -> Result {
        switch outcome {
        case .complete(let request, let consumed):
            return .complete(method: request.head.method.name, target: request.head.target, body: request.body,
                             keepAlive: request.head.keepAlive, consumed: consumed)
        case .incomplete, .headReceived:
            return .incomplete
        case .invalid(let error):
            return .invalid(error)
        }
    }
}

extension Array where Element == UInt8 {
    init(wire text: String) { self = Array(text.utf8) }
}
