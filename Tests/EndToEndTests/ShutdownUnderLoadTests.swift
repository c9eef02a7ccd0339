import Foundation
import Testing

/// SIGTERM in the middle of a wrk run (keep-alive GETs and durable PATCHes): every request the server took in is
/// answered and reaches wrk, no connection is reset, and the server exits 0 well inside its grace period.
@Suite("Graceful shutdown under load")
struct ShutdownUnderLoadTests {
    /// What one wrk run reported.
    struct WrkReport {
        var requests = 0
        var connectErrors = 0, readErrors = 0, writeErrors = 0, timeouts = 0
        var non2xx = 0

        init(_ output: String) {
            for line in output.split(separator: "\n") {
                let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
                if line.contains("requests in"), let first = numbers.first { requests = first }
                if line.contains("Socket errors:"), numbers.count == 4 {
                    (connectErrors, readErrors, writeErrors, timeouts) = (numbers[0], numbers[1], numbers[2], numbers[3])
                }
                if line.contains("Non-2xx"), let last = numbers.last { non2xx = last }
            }
        }
    }

    static func startWrk(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try spawning { try process.run() }
        return (process, output)
    }

    static func finish(_ wrk: (Process, Pipe)) -> String {
        let data = wrk.1.fileHandleForReading.readDataToEndOfFile()
        wrk.0.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func sigtermDuringWrkResetsNoAcceptedRequest() throws {
        let server = try ServerProcess(["--mode", "production", "--shutdown-grace", "10"])
        // One listener per event loop (SO_REUSEPORT), as the start-up line says.
        let listeners = try #require(server.stderr.firstMatch(of: /([0-9]+) event loops?/).flatMap { Int($0.output.1) })
        let script = server.directory + "/patch.lua"
        // Each PATCH sets a new desired capacity, so each is a real durable write.
        try """
        counter = 0
        request = function()
            counter = counter + 1
            return wrk.format("PATCH", nil, {["Content-Type"] = "application/json"}, '{"desiredCapacity": ' .. counter .. '}')
        end
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let gets = try Self.startWrk(["-t1", "-c32", "-d6s", server.baseURL + "/time"])
        let patches = try Self.startWrk(["-t1", "-c16", "-d6s", "-s", script, server.baseURL + "/v1/scalableTargetDimensions/load"])
        sleep(2)
        let signalled = Date()
        server.signal(SIGTERM)
        let status = server.wait(timeout: 15)
        let exitSeconds = Date().timeIntervalSince(signalled)
        let getReport = WrkReport(Self.finish(gets))
        let patchReport = WrkReport(Self.finish(patches))

        #expect(status == 0)
        #expect(exitSeconds < 5, "the drain took \(exitSeconds) s")
        for (name, report) in [("GET", getReport), ("PATCH", patchReport)] {
            #expect(report.requests > 100, "\(name): wrk completed only \(report.requests) requests")
            // A connection cut under a request shows as a read error (reset or EOF before the answer). wrk's write
            // errors are not counted: it connects without blocking, so once the server is gone every refused
            // reconnect shows up as a failed write. One read error per listener is the kernel's, not capacityd's:
            // wrk reconnects after every `Connection: close`, and a handshake that completes in the instant a
            // listener closes (after capacityd took in what was queued) is reset before anything could accept it.
            // Every request capacityd took in is counted below; behind a load balancer, which stops new
            // connections before SIGTERM, none race the close.
            #expect(report.readErrors <= listeners && report.timeouts == 0, "\(name): \(report)")
            #expect(report.non2xx == 0, "\(name): \(report.non2xx) answers were not 2xx")
        }
        // Every answer the server logged reached wrk: nothing it took in was lost to a reset.
        let logged = server.stdout.split(separator: "\n")
        #expect(logged.filter { $0.contains("\"path\": \"/time\"") }.count == getReport.requests)
        #expect(logged.filter { $0.contains("\"method\": \"PATCH\"") }.count == patchReport.requests)
    }
}
