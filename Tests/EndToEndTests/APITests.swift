import Foundation
import Testing

private let dimensions = "/v1/scalableTargetDimensions/"

/// The fields of a dimension a test looks at: (actual, desired, status).
private func state(_ response: CurlResponse) -> (Double, Double, String)? {
    guard let json = response.json, let actual = json["actualCapacity"] as? Double,
          let desired = json["desiredCapacity"] as? Double, let status = json["scalingStatus"] as? String else { return nil }
    return (actual, desired, status)
}

private func expectState(_ response: CurlResponse, _ actual: Double, _ desired: Double, _ status: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response.status == 200, sourceLocation: sourceLocation)
    let got = state(response)
    #expect(got?.0 == actual && got?.1 == desired && got?.2 == status,
            "expected (\(actual), \(desired), \(status)), got \(response.body)", sourceLocation: sourceLocation)
}

@Suite("API contract, through curl")
struct APITests {
    @Test func timeIsTheEpochInTheOldSamplesShape() throws {
        let server = try ServerProcess()
        let before = Int(Date().timeIntervalSince1970)
        let response = try curl(server.baseURL + "/time")
        let after = Int(Date().timeIntervalSince1970)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.body.hasPrefix("{\"The current epoch time\": "))
        let seconds = response.json?["The current epoch time"] as? Int ?? 0
        #expect((before...after).contains(seconds))
        #expect(response.headers["date"]?.hasSuffix(" GMT") == true)
        #expect(response.headers["server"] != nil)
        #expect(response.headers["content-length"] == String(response.body.utf8.count))
        #expect(server.stop() == 0)
    }

    @Test func defaultsAndAutoCreationAreConfigurable() throws {
        let server = try ServerProcess(["--default-version", "V2", "--default-resource-name", "R2",
                                        "--default-dimension-name", "D2", "--default-capacity", "4"])
        let json = try #require(try curl(server.baseURL + dimensions + "x").json)
        #expect(json["version"] as? String == "V2" && json["resourceName"] as? String == "R2")
        #expect(json["dimensionName"] as? String == "D2" && json["actualCapacity"] as? Double == 4)
        server.stop()

        let strict = try ServerProcess(["--no-auto-create"])
        let missing = try curl(strict.baseURL + dimensions + "nobody")
        #expect(missing.status == 404)
        #expect(missing.message == "Dimension nobody does not exist")
        let patched = try patch(strict.baseURL + dimensions + "nobody", #"{"desiredCapacity": 2}"#)
        #expect(patched.status == 404)
        strict.stop()
    }

    /// Fails if a capacity at the bound is refused, one past it is accepted or refused without naming the field
    /// and the bound, or `/openapi.json` does not document the bound the server applies.
    @Test func maxCapacityBoundsWhatRequestsMaySet() throws {
        let server = try ServerProcess(["--mode", "production", "--max-capacity", "10"])
        let url = server.baseURL + dimensions + "bounded"
        expectState(try patch(url, #"{"desiredCapacity": 10, "actualCapacity": 10}"#), 10, 10, "Pending")
        for (body, field) in [(#"{"desiredCapacity": 10.5}"#, "desiredCapacity"), (#"{"actualCapacity": 11}"#, "actualCapacity")] {
            let refused = try patch(url, body)
            #expect(refused.status == 400 && refused.message == "\(field) must be at most 10", "\(refused.body)")
        }
        expectState(try curl(url), 10, 10, "Pending")
        let document = try curl(server.baseURL + "/openapi.json").body
        #expect(document.contains(#""desiredCapacity": {"type": "number", "minimum": 0, "maximum": 10}"#), "\(document)")
        #expect(server.stop() == 0)
        let tooLow = try runCapacityd(["check-config", "--max-capacity", "10", "--default-capacity", "11",
                                       "--state-dir", ServerProcess.temporaryDirectory()])
        #expect(tooLow.status != 0 && tooLow.output.contains("--default-capacity must be from 0 to --max-capacity (10)"), "\(tooLow.output)")
    }

    @Test func anOversizedBodyIs413BeforeItIsRead() throws {
        let server = try ServerProcess(["--max-body-bytes", "100"])
        let connection = try RawConnection(port: server.port)
        // Only the head is sent: the answer must not wait for a body the server will not take.
        connection.send("PATCH \(dimensions)a HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 101\r\n\r\n")
        let response = try #require(connection.readResponses(1, timeout: 5).first)
        #expect(response.status == 413)
        #expect(response.header("Connection") == "close")
        expectState(try curl(server.baseURL + dimensions + "a"), 1, 1, "Successful")
        server.stop()
    }

    /// Ids as wide as Application Auto Scaling allows: fails if any of them is refused or mangled through curl,
    /// the transition log, or `capacityd dimensions` against the server and against the store, or if one byte
    /// past 1,600 is accepted.
    @Test func idsAsAWSAllowsThem() throws {
        let logs = ServerProcess.temporaryDirectory()
        try "admin-key-0123456789\n".write(toFile: logs + "/keys", atomically: true, encoding: .utf8)
        let server = try ServerProcess(["--mode", "production", "--log-dir", logs + "/log", "--api-keys", logs + "/keys"])
        let ids = ["orders@prod", "svc~1", "my service", "caf\u{e9} \u{1F600}", "a+b=c,d;e!f'g(h)*", "cafe\u{301}",
                   String(repeating: "\u{e9}", count: 800)]  // the last is 1,600 bytes
        func encoded(_ id: String) -> String {
            id.utf8.map { $0 < 0x80 && Character(Unicode.Scalar($0)).isLetter ? String(Unicode.Scalar($0)) : String(format: "%%%02X", $0) }.joined()
        }
        for (index, id) in ids.enumerated() {
            let url = server.baseURL + dimensions + encoded(id)
            let patched = try patch(url, #"{"desiredCapacity": \#(index + 2)}"#)
            #expect(patched.status == 200 && patched.json?["scalableTargetDimensionId"] as? String == id, "\(id): \(patched.body)")
            #expect(try curl(url).json?["desiredCapacity"] as? Double == Double(index + 2), "\(id)")
        }
        // "café" spelled with a combining accent is an id of its own.
        #expect(try curl(server.baseURL + dimensions + encoded("caf\u{e9} \u{1F600}")).json?["desiredCapacity"] as? Double == 5)
        #expect(try curl(server.baseURL + dimensions + encoded(String(repeating: "\u{e9}", count: 800) + "x")).status == 400)

        let remote = try runCapacityd(["dimensions", "get", ids[3], "--server", server.baseURL, "--api-key", "admin-key-0123456789", "--json"])
        #expect(remote.status == 0 && remote.output.contains("\"desiredCapacity\": 5"), "\(remote.output)")
        #expect(server.stop() == 0)
        let log = try String(contentsOfFile: logs + "/log/" + (try FileManager.default.contentsOfDirectory(atPath: logs + "/log")).first!, encoding: .utf8)
        #expect(log.contains("Response: dimensionId: orders@prod  desiredCapacity: 1.0 -> 2.0"), "\(log)")
        #expect(log.contains("Request: PATCH dimensionId: my service {\"desiredCapacity\": 4}"), "\(log)")

        let listed = try runCapacityd(["dimensions", "list", "--state-dir", server.stateDirectory, "--json"])
        #expect(listed.status == 0)
        let stored = ((try? JSONSerialization.jsonObject(with: Data(listed.output.utf8))) as? [[String: Any]] ?? [])
            .compactMap { $0["scalableTargetDimensionId"] as? String }
        #expect(Set(stored.map { Array($0.utf8) }) == Set(ids.map { Array($0.utf8) }), "\(listed.output)")
        let direct = try runCapacityd(["dimensions", "get", "my service", "--state-dir", server.stateDirectory, "--json"])
        #expect(direct.status == 0 && direct.output.contains("\"desiredCapacity\": 4"), "\(direct.output)")
    }

    /// HEAD on the wire: the GET's headers, Content-Length included, and not one byte of body (else the next
    /// response on the connection would be misread). Which routes answer HEAD is the API tier's to check.
    @Test func headSendsTheHeadersAndNoBody() throws {
        let server = try ServerProcess()
        let connection = try RawConnection(port: server.port)
        connection.send("HEAD /time HTTP/1.1\r\nHost: x\r\n\r\nHEAD \(dimensions)h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let (text, _) = connection.readUntilClosed()
        let heads = text.components(separatedBy: "\r\n\r\n")
        #expect(heads.count == 3 && heads[2].isEmpty, "\(text)")
        #expect(heads[0].hasPrefix("HTTP/1.1 200 ") && heads[0].contains("Content-Length: 38"))
        #expect(heads.count > 1 && heads[1].hasPrefix("HTTP/1.1 200 ") && heads[1].contains("Content-Type: application/json"))
        server.stop()
    }

    @Test func ipv6AndSeveralListenAddresses() throws {
        // The loopback IPv6 address exists unless the machine disabled IPv6; then there is nothing to test.
        guard (try? runProbe("[::1]")) == true else { return }
        let server = try ServerProcess(["--http", "[::1]:0"])
        let lines = server.stderr
        #expect(lines.contains("http://[::1]:"))
        let portText = lines.components(separatedBy: "http://[::1]:").last?.prefix { $0.isNumber } ?? ""
        let response = try curl("http://[::1]:\(portText)/time", ["-g"])
        #expect(response.status == 200)
        #expect(try curl(server.baseURL + "/time").status == 200)
        server.stop()
    }
}

/// Whether a socket can be bound on the address (IPv6 may be disabled in a container).
private func runProbe(_ host: String) throws -> Bool {
    let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
    } == 0
}
