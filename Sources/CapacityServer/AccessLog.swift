import HTTP1
import HTTPServer
import JSON
import SystemIO

/// One JSON object per request on stdout, the shape CloudWatch (awslogs) and `jq` read without configuration.
final class JSONAccessLog: AccessLogFormatter {
    /// Answers below this status are not logged (`--log-level warning` and `error`).
    let minimumStatus: Int

    init(minimumStatus: Int) {
        self.minimumStatus = minimumStatus
    }

    func append(_ record: AccessRecord, to buffer: inout [UInt8]) {
        guard record.status >= minimumStatus else { return }
        buffer.appendLiteral("{\"time\": \"")
        WallClock.appendISO8601(epochMilliseconds: record.epochMilliseconds, to: &buffer)
        buffer.appendLiteral("\", \"method\": ")
        JSONWriter.appendString(record.method, to: &buffer)
        buffer.appendLiteral(", \"path\": ")
        JSONWriter.appendString(record.target, to: &buffer)
        buffer.appendLiteral(", \"status\": ")
        JSONWriter.appendInteger(record.status, to: &buffer)
        buffer.appendLiteral(", \"bytes\": ")
        JSONWriter.appendInteger(record.bytes, to: &buffer)
        buffer.appendLiteral(", \"duration_us\": ")
        JSONWriter.appendInteger(Int(record.durationMicroseconds), to: &buffer)
        buffer.appendLiteral(", \"peer\": ")
        JSONWriter.appendString(record.peer, to: &buffer)
        if let client = record.client {
            buffer.appendLiteral(", \"client_subject\": ")
            JSONWriter.appendString(client.subject, to: &buffer)
            buffer.appendLiteral(", \"client_sha256\": ")
            JSONWriter.appendString(client.fingerprint, to: &buffer)
        }
        for field in record.fields {
            buffer.appendLiteral(", ")
            JSONWriter.appendString(field.name, to: &buffer)
            buffer.appendLiteral(": ")
            switch field.value {
            case .string(let text): JSONWriter.appendString(text, to: &buffer)
            case .bool(let flag): buffer.append(contentsOf: (flag ? "true" : "false").utf8)
            }
        }
        buffer.appendLiteral("}\n")
    }
}

extension [UInt8] {
    @inline(__always)
    mutating func appendLiteral(_ literal: StaticString) {
        JSONWriter.appendLiteral(literal, to: &self)
    }
}
