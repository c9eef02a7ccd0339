import Foundation
import Testing

@Suite("API keys for operator writes")
struct AccessControlTests {
    @Test func operatorFieldsNeedAValidKey() throws {
        let directory = ServerProcess.temporaryDirectory()
        let keys = directory + "/api-keys"
        let hashedKey = "operator-key-hashed-0001"
        let digest = try runProcess("/bin/bash", ["-c", "printf '%s' \"$1\" | sha256sum | cut -d' ' -f1", "x", hashedKey])
            .output.trimmingCharacters(in: .whitespacesAndNewlines)
        try "# operator keys\noperator-key-plain-0001\nsha256:\(digest)\n".write(toFile: keys, atomically: true, encoding: .utf8)
        let server = try ServerProcess(["--mode", "production", "--api-keys", keys])
        let url = server.baseURL + "/v1/scalableTargetDimensions/guarded"
        let operatorBody = #"{"actualCapacity": 3, "scalingStatus": "InProgress"}"#

        let anonymous = try patch(url, operatorBody)
        #expect(anonymous.status == 401)
        #expect(anonymous.headers["www-authenticate"] == "Bearer")
        #expect(anonymous.message?.contains("API key") == true)
        let wrong = try curl(url, ["-X", "PATCH", "-H", "Content-Type: application/json", "-H", "x-api-key: not-the-key-at-all",
                                   "--data-binary", operatorBody])
        #expect(wrong.status == 403)
        #expect(try curl(url).json?["actualCapacity"] as? Double == 1)  // nothing changed

        let plain = try curl(url, ["-X", "PATCH", "-H", "Content-Type: application/json",
                                   "-H", "x-api-key: operator-key-plain-0001", "--data-binary", operatorBody])
        #expect(plain.status == 200 && plain.json?["actualCapacity"] as? Double == 3)
        let bearer = try curl(url, ["-X", "PATCH", "-H", "Content-Type: application/json",
                                    "-H", "Authorization: Bearer \(hashedKey)", "--data-binary", #"{"actualCapacity": 4}"#])
        #expect(bearer.status == 200 && bearer.json?["actualCapacity"] as? Double == 4)
        // AWS's own field needs no key.
        #expect(try patch(url, #"{"desiredCapacity": 9}"#).status == 200)

        // Rotation: a new file and SIGHUP; the old key stops working.
        try "operator-key-rotated-0002\n".write(toFile: keys, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        let deadline = Date().addingTimeInterval(10)
        while !server.stderr.contains("API keys reloaded") && Date() < deadline { usleep(10_000) }
        let old = try curl(url, ["-X", "PATCH", "-H", "Content-Type: application/json",
                                 "-H", "x-api-key: operator-key-plain-0001", "--data-binary", operatorBody])
        #expect(old.status == 403)
        let rotated = try curl(url, ["-X", "PATCH", "-H", "Content-Type: application/json",
                                     "-H", "x-api-key: operator-key-rotated-0002", "--data-binary", operatorBody])
        #expect(rotated.status == 200)

        // A broken file on reload keeps the keys in use.
        try "short\n".write(toFile: keys, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        let brokenDeadline = Date().addingTimeInterval(10)
        while !server.stderr.contains("API keys not reloaded") && Date() < brokenDeadline { usleep(10_000) }
        #expect(server.stderr.contains("API keys not reloaded"))
        let still = try curl(url, ["-X", "PATCH", "-H", "Content-Type: application/json",
                                   "-H", "x-api-key: operator-key-rotated-0002", "--data-binary", #"{"actualCapacity": 5}"#])
        #expect(still.status == 200)
        #expect(server.stop() == 0)
    }

    @Test func aBadKeyFileStopsStartUp() throws {
        let directory = ServerProcess.temporaryDirectory()
        for (content, expected) in [("", "no keys"), ("short\n", ":1:"), ("sha256:abc\n", "64 hex")] {
            try content.write(toFile: directory + "/keys", atomically: true, encoding: .utf8)
            let (status, output) = try runCapacityd(["serve", "--http", "127.0.0.1:0", "--state-dir", directory + "/s",
                                                     "--api-keys", directory + "/keys"])
            #expect(status != 0)
            #expect(output.contains(expected), "\(output)")
        }
    }
}
