import Foundation
import Testing

private func json(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}

@Suite("capacityd dimensions")
struct AdminCLITests {
    @Test func createSetListGetDeleteOnTheStore() throws {
        let directory = ServerProcess.temporaryDirectory()
        let state = directory + "/state"
        let environment = ["CAPACITYD_STATE_DIR": state]  // the store option comes from the environment too
        func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
            try runCapacityd(["dimensions"] + arguments, environment: environment)
        }

        let created = try run(["create", "web", "--desired-capacity", "3", "--resource-name", "Web", "--json"])
        #expect(created.status == 0, "\(created.output)")
        #expect(json(created.output)?["desiredCapacity"] as? Double == 3)
        #expect(json(created.output)?["resourceName"] as? String == "Web")
        #expect(try run(["create", "web"]).output.contains("already exists"))
        #expect(try run(["create", "api"]).status == 0)

        let set = try run(["set", "web", "--status", "Failed", "--failure-reason", "quota", "--json"])
        #expect(json(set.output)?["scalingStatus"] as? String == "Failed")
        #expect(json(set.output)?["failureReason"] as? String == "quota")
        let cleared = try run(["set", "web", "--status", "Successful", "--clear-failure-reason", "--json"])
        #expect(json(cleared.output)?["failureReason"] == nil)
        #expect(try run(["set", "missing", "--status", "Failed"]).status != 0)
        #expect(try run(["set", "web", "--desired-capacity", "-1"]).status != 0)
        #expect(try run(["set", "web", "--status", "Done"]).status != 0)

        let list = try run(["list", "--json"])
        let all = (try? JSONSerialization.jsonObject(with: Data(list.output.utf8))) as? [[String: Any]]
        #expect(all?.compactMap { $0["scalableTargetDimensionId"] as? String } == ["api", "web"])
        let table = try run(["list"]).output
        #expect(table.hasPrefix("ID") && table.contains("web") && table.contains("Successful"))

        #expect(try run(["delete", "api"]).output.contains("deleted api"))
        #expect(try run(["get", "api"]).status != 0)
        #expect(json(try run(["get", "web", "--json"]).output)?["desiredCapacity"] as? Double == 3)

        // The server sees what the CLI wrote; while it runs, the CLI still looks, but refuses to write behind its
        // back and says how to go through it.
        let server = try ServerProcess(["--mode", "production"], directory: directory)
        let response = try curl(server.baseURL + "/v1/scalableTargetDimensions/web")
        #expect(response.json?["resourceName"] as? String == "Web")
        #expect(try curl(server.baseURL + "/v1/scalableTargetDimensions/api").json?["desiredCapacity"] as? Double == 1)
        let listed = try run(["list", "--json"])
        #expect(listed.status == 0, "\(listed.output)")
        #expect((try? JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]])?
            .compactMap { $0["scalableTargetDimensionId"] as? String } == ["api", "web"], "\(listed.output)")
        #expect(json(try run(["get", "api", "--json"]).output)?["desiredCapacity"] as? Double == 1)
        let refused = try run(["set", "web", "--desired-capacity", "9"])
        #expect(refused.status != 0 && refused.output.contains("in use") && refused.output.contains("--server"), "\(refused.output)")
        #expect(server.stop() == 0)
    }

    /// `list` while a server writes: fails if a listing fails, misses a PATCH acknowledged before it began, or
    /// shows a value that was never sent.
    @Test func listingWhileAServerWrites() throws {
        let server = try ServerProcess(["--mode", "production", "--no-access-log"])
        let ids = ["w0", "w1", "w2", "w3"]
        let acknowledged = Locked([String: Double]())
        let sent = Locked([String: Double]())
        let done = Locked(false)
        let port = server.port
        let writer = Thread {
            guard let connection = try? RawConnection(port: port) else { return done.withLock { $0 = true } }
            var value = 0
            while !done.withLock({ $0 }) {
                value += 1
                let id = ids[value % ids.count]
                let body = #"{"desiredCapacity": \#(value)}"#
                sent.withLock { $0[id] = Double(value) }
                connection.send("PATCH /v1/scalableTargetDimensions/\(id) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                + "Content-Length: \(body.utf8.count)\r\n\r\n" + body)
                guard connection.readResponses(1).first?.status == 200 else { return done.withLock { $0 = true } }
                acknowledged.withLock { $0[id] = Double(value) }
            }
        }
        writer.start()
        while acknowledged.withLock({ $0.count }) < ids.count { usleep(10_000) }
        var problems: [String] = []
        for _ in 0..<8 {
            let before = acknowledged.withLock { $0 }
            let listed = try runCapacityd(["dimensions", "list", "--json", "--state-dir", server.stateDirectory])
            let ceiling = sent.withLock { $0 }
            guard listed.status == 0, let rows = (try? JSONSerialization.jsonObject(with: Data(listed.output.utf8))) as? [[String: Any]] else {
                problems.append("list failed: \(listed.output)")
                continue
            }
            for row in rows {
                guard let id = row["scalableTargetDimensionId"] as? String, let value = row["desiredCapacity"] as? Double else { continue }
                if value < before[id]! { problems.append("\(id): \(value) is older than the acknowledged \(before[id]!)") }
                if value > ceiling[id]! { problems.append("\(id): \(value) was never sent") }
            }
            if rows.count != ids.count { problems.append("\(rows.count) rows") }
        }
        done.withLock { $0 = true }
        while writer.isExecuting { usleep(10_000) }
        #expect(problems == [])
        #expect(server.stop() == 0)
    }

    /// While a server runs, the same commands go through its admin routes, with a key.
    @Test func throughARunningServer() throws {
        let directory = ServerProcess.temporaryDirectory()
        try "admin-key-0123456789\n".write(toFile: directory + "/keys", atomically: true, encoding: .utf8)
        let server = try ServerProcess(["--mode", "demo", "--api-keys", directory + "/keys"], directory: directory)
        let environment = ["CAPACITYD_SERVER": server.baseURL, "CAPACITYD_API_KEY": "admin-key-0123456789"]
        func run(_ arguments: [String], environment: [String: String] = environment) throws -> (status: Int32, output: String) {
            try runCapacityd(["dimensions"] + arguments, environment: environment)
        }

        let created = try run(["create", "live", "--desired-capacity", "4", "--status", "Pending", "--json"])
        #expect(created.status == 0, "\(created.output)")
        #expect(json(created.output)?["scalingStatus"] as? String == "Pending")
        #expect(try run(["create", "live"]).output.contains("already exists"))
        // get does not advance it, unlike the API's GET in demo mode.
        #expect(json(try run(["get", "live", "--json"]).output)?["scalingStatus"] as? String == "Pending")
        let set = try run(["set", "live", "--actual-capacity", "4", "--status", "Successful", "--json"])
        #expect(json(set.output)?["actualCapacity"] as? Double == 4)
        #expect(try curl(server.baseURL + "/v1/scalableTargetDimensions/live").json?["scalingStatus"] as? String == "Successful")
        #expect(try run(["list"]).output.contains("live"))
        #expect(try run(["set", "live", "--desired-capacity", "-3"]).status != 0)
        #expect(try run(["delete", "live"]).output.contains("deleted live"))
        #expect(try run(["get", "live"]).output.contains("does not exist"))

        let anonymous = try run(["list"], environment: ["CAPACITYD_SERVER": server.baseURL])
        #expect(anonymous.status != 0 && anonymous.output.contains("API key"))
        let wrong = try run(["list", "--api-key", "wrong-key-0123456789"])
        #expect(wrong.status != 0 && wrong.output.contains("not valid"))
        #expect(server.stop() == 0)

        let plain = try ServerProcess()
        let refused = try run(["list"], environment: ["CAPACITYD_SERVER": plain.baseURL, "CAPACITYD_API_KEY": "x"])
        #expect(refused.status != 0 && refused.output.contains("--api-keys"), "\(refused.output)")
        plain.stop()
    }
}
