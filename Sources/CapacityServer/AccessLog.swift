import HTTP1
import HTTPServer
import JSON
import SystemIO

/// One JSON object per request on stdout, the shape CloudWatch (awslogs) and `jq` read without configuration.
struct JSONAccessLog: AccessLogFormatter {
    /// Answers below this status are not logged (`--log-level warning` and `error`).
    let minimumStatus: Int

    func append(_ record: AccessRecord, to buffer: inout [UInt8]) {
        guard record.status >= minimumStatus else { return }
        buffer.append(contentsOf: "{\"time\": \"".utf8)
        buffer.append(contentsOf: WallClock.iso8601(epochMilliseconds: record.epochMilliseconds).utf8)
        buffer.append(contentsOf: "\", \"method\": ".utf8)
        JSONWriter.appendString(record.method, to: &buffer)
        buffer.append(contentsOf: ", \"path\": ".utf8)
        JSONWriter.appendString(record.target, to: &buffer)
        buffer.append(contentsOf: ", \"status\": ".utf8)
        JSONWriter.appendInteger(record.status, to: &buffer)
        buffer.append(contentsOf: ", \"bytes\": ".utf8)
        JSONWriter.appendInteger(record.bytes, to: &buffer)
        buffer.append(contentsOf: ", \"duration_us\": ".utf8)
        JSONWriter.appendInteger(Int(record.durationMicroseconds), to: &buffer)
        buffer.append(contentsOf: ", \"peer\": ".utf8)
        JSONWriter.appendString(record.peer, to: &buffer)
        if let client = record.client {
            buffer.append(contentsOf: ", \"client_subject\": ".utf8)
            JSONWriter.appendString(client.subject, to: &buffer)
            buffer.append(contentsOf: ", \"client_sha256\": ".utf8)
            JSONWriter.appendString(client.fingerprint, to: &buffer)
        }
        for field in record.fields {
            buffer.append(contentsOf: ", ".utf8)
            JSONWriter.appendString(field.name, to: &buffer)
            buffer.append(contentsOf: ": ".utf8)
            switch field.value {
            case .string(let text): JSONWriter.appendString(text, to: &buffer)
            case .bool(let flag): buffer.append(contentsOf: (flag ? "true" : "false").utf8)
            }
        }
        buffer.append(contentsOf: "}\n".utf8)
    }
}
