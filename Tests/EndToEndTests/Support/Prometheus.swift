import Foundation

/// Parses Prometheus text with the reference parser (prometheus_client, Debian's python3-prometheus-client) and
/// prints `name{labels} value` per sample, sorted, so a test can look samples up; fails on malformed exposition.
/// (A newline in a label value, such as an error message, is read back as a space, one sample a line.)
func parsePrometheus(_ text: String) throws -> [String: Double] {
    let script = """
        import sys
        from prometheus_client.parser import text_string_to_metric_families
        for family in text_string_to_metric_families(sys.stdin.read()):
            for sample in family.samples:
                labels = ",".join(f'{k}="{v}"'.replace(chr(10), " ") for k, v in sorted(sample.labels.items()))
                print(f"{sample.name}{{{labels}}} {sample.value}")
        """
    let (status, output) = try runProcess("/usr/bin/python3", ["-c", script], input: text)
    guard status == 0 else { throw TestPKI.Failure(description: "prometheus_client refused the exposition: \(output)") }
    var samples: [String: Double] = [:]
    for line in output.split(separator: "\n") {
        guard let space = line.lastIndex(of: " ") else { continue }
        samples[String(line[..<space])] = Double(line[line.index(after: space)...])
    }
    return samples
}
