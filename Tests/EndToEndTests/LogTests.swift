import Foundation
import PostgresTestServer
import Synchronization
import Testing

@Suite("Transition and access logs")
struct LogTests {
    /// The old sample's `api-YYYYMMDD` lines, so `tail -f` and whatever greps them keep working; what the old
    /// format has no room for (a creation, a failure reason, a refusal) is in the access log instead.
    @Test func transitionLogKeepsTheOldFormat() throws {
        let logs = ServerProcess.temporaryDirectory()
        let server = try ServerProcess(["--mode", "demo", "--log-dir", logs])
        let url = server.baseURL + "/v1/scalableTargetDimensions/logged"
        _ = try curl(url)
        _ = try patch(url, #"{"desiredCapacity": 2}"#)
        _ = try curl(url)
        #expect(try patch(url, #"{"desiredCapacity": -2}"#).status == 400)
        _ = try patch(server.baseURL + "/v1/scalableTargetDimensions/new", #"{"desiredCapacity":4}"#)
        #expect(server.stop() == 0)

        let files = try FileManager.default.contentsOfDirectory(atPath: logs)
        #expect(files.count == 1)
        let name = try #require(files.first)
        #expect(name.wholeMatch(of: /api-\d{8}/) != nil)
        let lines = try String(contentsOfFile: logs + "/" + name, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 8)
        let stamp = #/\d{8}-\d{6}/#
        for line in lines { #expect(line.prefixMatch(of: stamp) != nil, "\(line)") }
        let text = lines.map { String($0.dropFirst(16)) }
        #expect(text == [
            "Request: GET dimensionId: logged ",
            "Response: dimensionId: logged  actualCapacity: 1.0 = desiredCapacity: 1.0  ",
            #"Request: PATCH dimensionId: logged {"desiredCapacity": 2}"#,
            "Response: dimensionId: logged  desiredCapacity: 1.0 -> 2.0  scalingStatus: Successful -> Pending",
            "Request: GET dimensionId: logged ",
            "Response: dimensionId: logged  scalingStatus: Pending -> InProgress",
            // A PATCH that creates the dimension: the defaults, then the change (the refused PATCH is not here).
            #"Request: PATCH dimensionId: new {"desiredCapacity": 4}"#,
            "Response: dimensionId: new  desiredCapacity: 1.0 -> 4.0  scalingStatus: Successful -> Pending",
        ])

        let records = server.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        #expect(records.map { $0["created"] as? Bool } == [true, nil, nil, nil, true])
        #expect(records[3]["status"] as? Int == 400)
        #expect((records[3]["error"] as? String)?.contains("desiredCapacity") == true, "\(records[3])")
    }

    /// Concurrent PATCHes and GETs of one id, on connections spread over several event loops, in demo mode (where
    /// a GET advances the dimension too), with the file store and with PostgreSQL: the transition log's lines come
    /// in the order the changes were made, so each `Response` line starts from where the one before it ended.
    @Test(arguments: ["file", "postgres"])
    func transitionLinesOfOneIdFollowTheOrderOfItsChanges(store: String) throws {
        let logs = ServerProcess.temporaryDirectory()
        var arguments = ["--mode", "demo", "--log-dir", logs, "--event-loops", "4"]
        let database = store == "postgres" ? try PostgresTestServer.shared.createDatabase() : nil
        defer { database.map { PostgresTestServer.shared.dropDatabase(url: $0) } }
        if let database { arguments += ["--database-url", database, "--migrate"] }
        let server = try ServerProcess(arguments)
        let path = "/v1/scalableTargetDimensions/ordered"
        let clients = 8
        let rounds = 40
        let failures = Atomic<Int>(0)
        let port = server.port
        DispatchQueue.concurrentPerform(iterations: clients) { client in
            guard let connection = try? RawConnection(port: port) else {
                failures.add(1, ordering: .relaxed)
                return
            }
            for round in 0..<rounds {
                let request: String
                if (client + round) % 3 == 0 {
                    let body = #"{"desiredCapacity": \#((client * rounds + round) % 5 + 1)}"#
                    request = "PATCH \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
                } else {
                    request = "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n"
                }
                connection.send(request)
                if connection.readResponses(1).first?.status != 200 { failures.add(1, ordering: .relaxed) }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(server.stop() == 0)

        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: logs).first)
        let responses = try String(contentsOfFile: logs + "/" + name, encoding: .utf8).split(separator: "\n")
            .map { String($0.dropFirst(16)) }.filter { $0.hasPrefix("Response: dimensionId: ordered  ") }
        #expect(responses.count == clients * rounds)
        // The defaults a created dimension starts from.
        var current = ["desiredCapacity": "1.0", "actualCapacity": "1.0", "scalingStatus": "Successful"]
        for (index, line) in responses.enumerated() {
            let fields = line.dropFirst("Response: dimensionId: ordered  ".count)
            if let unchanged = fields.wholeMatch(of: #/actualCapacity: (\S+) = desiredCapacity: (\S+)  /#) {
                #expect(String(unchanged.1) == current["actualCapacity"] && String(unchanged.2) == current["desiredCapacity"],
                        "line \(index): \(line) after \(current)")
                continue
            }
            for change in fields.matches(of: /(\w+): (\S+) -> (\S+)/) {
                let field = String(change.1)
                #expect(String(change.2) == current[field], "line \(index): \(line) after \(current)")
                current[field] = String(change.3)
            }
        }
    }

    /// Fails if a failure reason shows in the transition log, or is missing from the access log.
    @Test func failureReasonsGoToTheAccessLog() throws {
        let logs = ServerProcess.temporaryDirectory()
        let server = try ServerProcess(["--mode", "production", "--log-dir", logs])
        let url = server.baseURL + "/v1/scalableTargetDimensions/failing"
        #expect(try patch(url, #"{"desiredCapacity": 3}"#).status == 200)
        #expect(try patch(url, #"{"scalingStatus": "Failed", "failureReason": "quota \"exceeded\""}"#).status == 200)
        #expect(server.stop() == 0)
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: logs).first)
        let lines = try String(contentsOfFile: logs + "/" + name, encoding: .utf8).split(separator: "\n").map { String($0.dropFirst(16)) }
        #expect(lines.last == "Response: dimensionId: failing  scalingStatus: Pending -> Failed")
        #expect(lines.dropLast().last == #"Request: PATCH dimensionId: failing {"scalingStatus": "Failed", "failureReason": "quota \"exceeded\""}"#)
        let records = server.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        #expect(records.last?["failure_reason"] as? String == #"quota "exceeded""#)
    }

    @Test func sighupReopensTheTransitionLog() throws {
        let server = try ServerProcess()
        let logs = server.stateDirectory + "/log"
        _ = try curl(server.baseURL + "/v1/scalableTargetDimensions/a")
        // The lines are written at the end of the event loop's turn, just after the answer went out.
        let written = Date().addingTimeInterval(10)
        while ((try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []).isEmpty && Date() < written { usleep(10_000) }
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: logs).first)
        // What logrotate does: move the file away, then signal.
        try FileManager.default.moveItem(atPath: logs + "/" + name, toPath: logs + "/rotated")
        server.signal(SIGHUP)
        let deadline = Date().addingTimeInterval(10)
        while !server.stderr.contains("reopened") && Date() < deadline { usleep(10_000) }
        _ = try curl(server.baseURL + "/v1/scalableTargetDimensions/b")
        #expect(server.stop() == 0)
        let fresh = try String(contentsOfFile: logs + "/" + name, encoding: .utf8)
        #expect(fresh.contains("dimensionId: b") && !fresh.contains("dimensionId: a"))
        let rotated = try String(contentsOfFile: logs + "/rotated", encoding: .utf8)
        #expect(rotated.contains("dimensionId: a") && !rotated.contains("dimensionId: b"))
    }

    @Test func accessLogIsOneJSONObjectPerRequest() throws {
        let server = try ServerProcess()
        let before = Date()
        _ = try curl(server.baseURL + "/time")
        _ = try curl(server.baseURL + "/nothing\"here")
        let after = Date()
        #expect(server.stop() == 0)
        let lines = server.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let records = lines.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        #expect(records.count == 2)
        let first = try #require(records.first)
        #expect(first["method"] as? String == "GET")
        #expect(first["path"] as? String == "/time")
        #expect(first["status"] as? Int == 200)
        #expect((first["bytes"] as? Int ?? 0) > 100)
        #expect(first["duration_us"] is Int)
        #expect((first["peer"] as? String)?.hasPrefix("127.0.0.1") == true)
        #expect((first["time"] as? String)?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
        // Each line's time is the loop's clock when it woke for the request (read as it wakes, cut to the
        // millisecond): between the requests' start and end.
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for record in records {
            let time = try #require(parser.date(from: record["time"] as? String ?? ""))
            #expect(time >= before.addingTimeInterval(-0.001) && time <= after.addingTimeInterval(0.001))
        }
        #expect(records.last?["status"] as? Int == 404)
        #expect(records.last?["path"] as? String == "/nothing\"here")
    }

    /// On a connection that has been idle, the line's time is the request's, not the loop's last look at the clock
    /// (it reads the clock again as it wakes; its ticks come every 250 ms when idle).
    @Test func accessLogTimeIsWhenTheRequestCameOnAnIdleConnection() throws {
        let server = try ServerProcess()
        let connection = try RawConnection(port: server.port)
        Thread.sleep(forTimeInterval: 0.2)
        let before = Date()
        connection.send("GET /time HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(connection.readResponses(1).first?.status == 200)
        let after = Date()
        #expect(server.stop() == 0)
        let line = try #require(server.stdout.split(separator: "\n").first)
        let record = try #require((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let time = try #require(parser.date(from: record["time"] as? String ?? ""))
        #expect(time >= before.addingTimeInterval(-0.001) && time <= after.addingTimeInterval(0.001))
    }

    @Test func noAccessLogMeansNothingOnStdout() throws {
        let server = try ServerProcess(["--no-access-log"])
        _ = try curl(server.baseURL + "/time")
        #expect(server.stop() == 0)
        #expect(server.stdout.isEmpty)
    }
}

@Suite("capacityd import and the command line")
struct CommandLineTests {
    @Test func importsTheOldSamplesStateDirectory() throws {
        let old = ServerProcess.temporaryDirectory()
        try #"{"scalableTargetDimensionId": "one", "version": "MyVersion", "resourceName": "MyService", "dimensionName": "MyDimension", "actualCapacity": 2.0, "desiredCapacity": 3.0, "scalingStatus": "Pending"}"#
            .write(toFile: old + "/one", atomically: true, encoding: .utf8)
        try #"{"version": "V", "resourceName": "R", "dimensionName": "D", "actualCapacity": 1, "desiredCapacity": 1, "scalingStatus": "Failed", "failureReason": "boom"}"#
            .write(toFile: old + "/two.json", atomically: true, encoding: .utf8)
        try "not json".write(toFile: old + "/three", atomically: true, encoding: .utf8)
        try "{}".write(toFile: old + "/bad id", atomically: true, encoding: .utf8)

        let state = ServerProcess.temporaryDirectory()
        let (status, output) = try runCapacityd(["import", old, "--state-dir", state])
        #expect(status == 0, "\(output)")
        #expect(output.contains("imported one") && output.contains("imported two"))
        #expect(output.contains("skipped three") && output.contains("skipped bad id"))
        #expect(output.contains("imported 2, skipped 2"))

        let migrated = try ServerProcess(["--mode", "production", "--state-dir", state])
        let one = try curl(migrated.baseURL + "/v1/scalableTargetDimensions/one").json
        #expect(one?["desiredCapacity"] as? Double == 3 && one?["scalingStatus"] as? String == "Pending")
        let two = try curl(migrated.baseURL + "/v1/scalableTargetDimensions/two").json
        #expect(two?["failureReason"] as? String == "boom" && two?["version"] as? String == "V")
        migrated.stop()

        // Importing again skips what exists, unless told to overwrite.
        let again = try runCapacityd(["import", old, "--state-dir", state])
        #expect(again.output.contains("already exists"))
        let overwrite = try runCapacityd(["import", old, "--state-dir", state, "--overwrite"])
        #expect(overwrite.output.contains("imported 2, skipped 2"))
    }

    @Test func theStateDirectoryAdmitsOneProcess() throws {
        let server = try ServerProcess()
        let second = try runCapacityd(["serve", "--http", "127.0.0.1:0", "--state-dir", server.stateDirectory])
        #expect(second.status != 0)
        #expect(second.output.contains(server.stateDirectory))
        server.stop()
    }

    @Test func versionIsPrinted() throws {
        let version = try runCapacityd(["version"])
        #expect(version.status == 0 && version.output.hasPrefix("capacityd "))
        #expect(try runCapacityd(["--version"]).output == version.output)
    }

    @Test func badOptionsAreOneClearLine() throws {
        for arguments in [["serve", "--http", "nowhere"], ["serve", "--mode", "fast"], ["serve", "--header-timeout", "0"],
                          ["serve", "--max-body-bytes", "0"]] {
            let (status, output) = try runCapacityd(arguments)
            #expect(status != 0, "\(arguments)")
            #expect(output.contains("Error:"), "\(arguments): \(output)")
        }
        let help = try runCapacityd(["serve", "--help"])
        for option in ["--http", "--mode", "--state-dir", "--log-dir", "--no-auto-create", "--max-connections",
                       "--header-timeout", "--write-timeout", "--shutdown-grace", "--event-loops"] {
            #expect(help.output.contains(option), "\(option)")
        }
    }
}

@Suite("Log levels")
struct LogLevelTests {
    @Test func warningKeepsOnlyProblems() throws {
        let server = try ServerProcess(["--log-level", "warning"])
        _ = try curl(server.baseURL + "/time")
        _ = try curl(server.baseURL + "/missing")
        _ = try patch(server.baseURL + "/v1/scalableTargetDimensions/x", "{")
        #expect(server.stop() == 0)
        let lines = server.stdout.split(separator: "\n")
        #expect(lines.count == 2, "\(server.stdout)")
        #expect(lines.allSatisfy { $0.contains("\"status\": 404") || $0.contains("\"status\": 400") })
        #expect(server.stderr.contains("listening on"))
        #expect(!server.stderr.contains("shutting down") && !server.stderr.contains("stopped;"))
    }

    @Test func errorKeepsOnlyServerErrors() throws {
        let server = try ServerProcess(["--log-level", "error"])
        _ = try curl(server.baseURL + "/missing")
        #expect(server.stop() == 0)
        #expect(server.stdout.isEmpty)
    }
}
