import Foundation
import Testing

@Suite("Health and metrics")
struct OperationsTests {
    @Test func livenessAndReadiness() throws {
        let pki = try TestPKI()
        let (root, chain, key) = try pki.serverChain()
        let server = try ServerProcess(["--https", "127.0.0.1:0", "--tls-cert", chain, "--tls-key", key])
        let live = try curl(server.baseURL + "/healthz")
        #expect(live.status == 200 && live.json?["status"] as? String == "ok")
        let ready = try curl("https://127.0.0.1:\(server.tlsPort)/readyz", ["--cacert", root.certificate])
        #expect(ready.status == 200)
        #expect(ready.json?["status"] as? String == "ready")
        let certificates = ready.json?["certificates"] as? [[String: Any]]
        #expect(certificates?.first?["subject"] as? String == "CN=server")
        #expect((certificates?.first?["daysLeft"] as? Int).map { (28...30).contains($0) } == true)
        #expect(try curl(server.baseURL + "/healthz", ["-X", "POST"]).status == 405)
        server.stop()
    }

    /// `capacityd healthcheck` (the image's HEALTHCHECK) asks the listener serve's options and their variables
    /// name: the metrics listener first, else the first plain-HTTP address, a wildcard one on loopback.
    @Test func healthcheckFollowsTheConfiguredListener() throws {
        // The rows need the metrics port as a number: a free one, and another should a process take it first.
        var metricsPort = freePort()
        var attempt = 1
        var started: ServerProcess?
        while started == nil {
            do {
                started = try ServerProcess(["--metrics-listen", "0.0.0.0:\(metricsPort)"])
            } catch let failure as ServerProcess.StartFailed where attempt < 3 && failure.stderr.lowercased().contains("in use") {
                attempt += 1
                metricsPort = freePort()
            }
        }
        let server = started!
        let closedPort = ClosedPort()
        let closed = "127.0.0.1:\(closedPort.number)"
        let rows: [(arguments: [String], environment: [String: String], status: Int32)] = [
            (["--http", "127.0.0.1:\(server.port)"], [:], 0),
            ([], ["CAPACITYD_HTTP": "127.0.0.1:\(server.port)"], 0),
            ([], ["CAPACITYD_HTTP": "0.0.0.0:\(server.port)"], 0),
            ([], ["CAPACITYD_HTTP": closed, "CAPACITYD_METRICS_LISTEN": "0.0.0.0:\(metricsPort)"], 0),
            ([], ["CAPACITYD_HTTP": closed], 1),
            (["--http", "127.0.0.1:\(server.port)", "--metrics-listen", closed], [:], 1),
            (["--no-http"], [:], 64),
        ]
        for row in rows {
            let (status, output) = try runCapacityd(["healthcheck"] + row.arguments, environment: row.environment)
            #expect(status == row.status, "\(row): \(output)")
            if row.status == 1 { #expect(output.hasPrefix("unhealthy: "), "\(output)") }
        }
        let (status, output) = try runCapacityd(["healthcheck", "--http", closed])
        #expect(status == 1 && output.contains("Connection refused"), "\(output)")
        server.stop()
    }

    @Test func metricsAreValidPrometheusTextWithTheRightCounts() throws {
        let pki = try TestPKI()
        let (root, chain, key) = try pki.serverChain()
        let server = try ServerProcess(["--https", "127.0.0.1:0", "--tls-cert", chain, "--tls-key", key,
                                        "--mode", "production"])
        for _ in 0..<2 { _ = try curl(server.baseURL + "/time") }
        // Absolute-form (RFC 9112 §3.2.2): counted under the route that served it.
        _ = try curl(server.baseURL + "/", ["--request-target", server.baseURL + "/time"])
        _ = try curl(server.baseURL + "/nothing/here")
        _ = try patch(server.baseURL + "/v1/scalableTargetDimensions/m1", #"{"desiredCapacity": 2}"#)
        _ = try patch(server.baseURL + "/v1/scalableTargetDimensions/m2", #"{"desiredCapacity": 3, "scalingStatus": "Failed"}"#)
        _ = try curl("https://127.0.0.1:\(server.tlsPort)/time", ["--cacert", root.certificate])
        // A client offering only a cipher without forward secrecy: the server refuses the handshake.
        _ = try curl("https://127.0.0.1:\(server.tlsPort)/time", ["-k", "--tls-max", "1.2", "--ciphers", "AES128-SHA"])
        let scrape = try curl(server.baseURL + "/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let samples = try parsePrometheus(scrape.body)
        #expect(samples[#"capacityd_http_requests_total{method="GET",route="/time",status="200"}"#] == 4)
        #expect(samples[#"capacityd_http_requests_total{method="GET",route="other",status="404"}"#] == 1)
        #expect(samples[#"capacityd_http_requests_total{method="PATCH",route="/v1/scalableTargetDimensions/{id}",status="200"}"#] == 2)
        #expect(samples[#"capacityd_http_request_duration_seconds_count{route="/time"}"#] == 4)
        #expect(samples[#"capacityd_dimensions{status="Pending"}"#] == 2)
        #expect(samples[#"capacityd_dimensions{status="Successful"}"#] == 0)
        #expect(samples[#"capacityd_store_records_total{}"#] == 2)
        #expect((samples[#"capacityd_store_syncs_total{}"#] ?? 0) >= 1)
        #expect(samples[#"capacityd_store_write_duration_seconds_count{}"#] == samples[#"capacityd_store_syncs_total{}"#])
        #expect(samples[#"capacityd_tls_handshakes_total{}"#] == 1)
        #expect(samples[#"capacityd_tls_handshake_failures_total{}"#] == 1)
        #expect((samples[#"capacityd_open_connections{}"#] ?? 0) >= 1)
        let daysLeft = samples.first { $0.key.hasPrefix("capacityd_certificate_days_left{") && $0.key.contains("CN=server") }
        #expect(daysLeft.map { (28...30).contains($0.value) } == true)
        server.stop()
    }
}

@Suite("Metrics listener")
struct MetricsListenerTests {
    /// `--metrics-listen`: `/metrics`, `/healthz` and `/readyz` there and nothing else; the API's listener keeps
    /// its health routes but no longer serves or documents `/metrics`.
    @Test func servesMetricsAndHealthThereOnly() throws {
        let server = try ServerProcess(["--metrics-listen", "127.0.0.1:0"])
        #expect(server.metricsPort != 0 && server.metricsPort != server.port)
        let metrics = "http://127.0.0.1:\(server.metricsPort)"
        for path in ["/metrics", "/healthz", "/readyz"] {
            #expect(try curl(metrics + path).status == 200, "\(path) on the metrics listener")
        }
        #expect(try curl(metrics + "/metrics", ["-X", "POST"]).status == 405)
        for path in ["/time", "/v1/scalableTargetDimensions/x", "/openapi.json", "/admin/v1/dimensions"] {
            #expect(try curl(metrics + path).status == 404, "\(path) on the metrics listener")
        }
        #expect(try curl(server.baseURL + "/metrics").status == 404)
        #expect(try curl(server.baseURL + "/healthz").status == 200)
        #expect(try curl(server.baseURL + "/readyz").status == 200)
        #expect(try curl(server.baseURL + "/time").status == 200)
        #expect(try curl(server.baseURL + "/admin/v1/dimensions").status == 404)
        let document = try curl(server.baseURL + "/openapi.json").body
        #expect(!document.contains("\"/metrics\"") && document.contains("\"/time\""))

        // Every request of both listeners is counted under its route's pattern, the admin routes included.
        let samples = try parsePrometheus(try curl(metrics + "/metrics").body)
        #expect(samples[#"capacityd_http_requests_total{method="GET",route="/time",status="200"}"#] == 1)
        #expect(samples[#"capacityd_http_requests_total{method="GET",route="/admin/v1/dimensions",status="404"}"#] == 1)
        #expect(samples[#"capacityd_http_requests_total{method="GET",route="/metrics",status="200"}"#] == 1)
        #expect(samples[#"capacityd_http_requests_total{method="POST",route="/metrics",status="405"}"#] == 1)
        #expect(samples[#"capacityd_http_requests_total{method="GET",route="/healthz",status="200"}"#] == 2)
        server.stop()
    }

    @Test func isConfiguredByTheEnvironmentToo() throws {
        let server = try ServerProcess(environment: ["CAPACITYD_METRICS_LISTEN": "127.0.0.1:0"])
        #expect(server.metricsPort != 0)
        #expect(try curl("http://127.0.0.1:\(server.metricsPort)/metrics").status == 200)
        server.stop()
    }
}

@Suite("gzip")
struct CompressionTests {
    @Test func largeJSONAndTextAreCompressedForClientsThatAcceptIt() throws {
        let server = try ServerProcess()
        for _ in 0..<5 { _ = try curl(server.baseURL + "/time") }
        let plain = try curl(server.baseURL + "/metrics")
        #expect(plain.body.utf8.count > 1024)
        #expect(plain.headers["content-encoding"] == nil)
        #expect(plain.headers["vary"] == "Accept-Encoding")

        // curl --compressed sends Accept-Encoding and decodes: the same text comes out.
        let compressed = try curl(server.baseURL + "/metrics", ["--compressed"])
        #expect(compressed.headers["content-encoding"] == "gzip")
        #expect(compressed.headers["vary"] == "Accept-Encoding")
        #expect(Int(compressed.headers["content-length"] ?? "") ?? .max < plain.body.utf8.count / 2)
        #expect(compressed.body.contains("capacityd_http_requests_total"))

        let refused = try curl(server.baseURL + "/metrics", ["-H", "Accept-Encoding: gzip;q=0, br"])
        #expect(refused.headers["content-encoding"] == nil)

        // Tiny bodies never: compressing them costs more than it saves.
        let tiny = try curl(server.baseURL + "/time", ["--compressed"])
        #expect(tiny.headers["content-encoding"] == nil && tiny.headers["vary"] == nil)
        server.stop()

        let off = try ServerProcess(["--gzip-min-bytes", "0"])
        #expect(try curl(off.baseURL + "/metrics", ["--compressed"]).headers["content-encoding"] == nil)
        off.stop()
    }
}
