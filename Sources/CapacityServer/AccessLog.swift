import Bytes
import HTTP1
import HTTPServer
import JSON

/// One JSON object per request on stdout, the shape CloudWatch (awslogs) and `jq` read without configuration.
final class JSONAccessLog: AccessLogFormatter {
    /// Answers below this status are not logged (`--log-level warning` and `error`).
    let minimumStatus: Int

    init(minimumStatus: Int) {
        self.minimumStatus = minimumStatus
    }

    func append(_ record: AccessRecord, to buffer: inout [UInt8]) {
        guard record.status >= minimumStatus else { return }
        // The method and the target are read once each: every read of them through the record copies its optional
        // request through the generic witnesses (callgrind: ~120 instructions a copy).
        let method = record.method
        record.withTarget { target in append(record, method: method, target: target, to: &buffer) }
    }

    private func append(_ record: AccessRecord, method: String, target: UnsafeBufferPointer<UInt8>,
                        to buffer: inout [UInt8]) {
        // In one append (ByteWriter), bounded by its strings: the member names and three numbers take at most 180
        // bytes, and each string at most JSONWriter.maxBytes(ofString:).
        var bound = 180 + record.timestamp.count + JSONWriter.maxBytes(ofString: method)
            + JSONWriter.maxBytes(ofUTF8Count: target.count) + JSONWriter.maxBytes(ofString: record.peer)
        if let client = record.client {
            bound += 64 + JSONWriter.maxBytes(ofString: client.subject) + JSONWriter.maxBytes(ofString: client.fingerprint)
        }
        for field in record.fields {
            bound += 16 + JSONWriter.maxBytes(ofString: field.name)
            if case .string(let text) = field.value { bound += JSONWriter.maxBytes(ofString: text) }
        }
        ByteWriter.append(to: &buffer, atMost: bound) { out in
            out.append("{\"time\": \"")
            out.append(record.timestamp)
            out.append("\", \"method\": ")
            JSONWriter.appendString(method, to: &out)
            out.append(", \"path\": ")
            JSONWriter.appendString(utf8: target, to: &out)
            out.append(", \"status\": ")
            out.appendDecimal(record.status)
            out.append(", \"bytes\": ")
            out.appendDecimal(record.bytes)
            out.append(", \"duration_us\": ")
            out.appendDecimal(Int(record.durationMicroseconds))
            out.append(", \"peer\": ")
            JSONWriter.appendString(record.peer, to: &out)
            if let client = record.client {
                out.append(", \"client_subject\": ")
                JSONWriter.appendString(client.subject, to: &out)
                out.append(", \"client_sha256\": ")
                JSONWriter.appendString(client.fingerprint, to: &out)
            }
            for field in record.fields {
                out.append(", ")
                JSONWriter.appendString(field.name, to: &out)
                out.append(": ")
                switch field.value {
                case .string(let text): JSONWriter.appendString(text, to: &out)
                case .bool(let flag): out.append(flag ? "true" : "false")
                }
            }
            out.append("}\n")
        }
    }
}
