import Foundation
import Testing

private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

@Suite("Deployment: Dockerfile, systemd unit, smoke script")
struct DeploymentTests {
    @Test func hadolintFindsNothing() throws {
        let (status, output) = try runProcess(repositoryRoot + "/.build-venv/bin/hadolint",
                                              ["--no-color", repositoryRoot + "/Dockerfile"])
        #expect(status == 0, "\(output)")
    }

    @Test func theSystemdUnitVerifies() throws {
        let unit = try String(contentsOfFile: repositoryRoot + "/config/capacityd.service", encoding: .utf8)
        // verify checks that ExecStart exists: point it at the binary these tests built.
        let directory = ServerProcess.temporaryDirectory()
        let copy = directory + "/capacityd.service"
        try unit.replacingOccurrences(of: "/usr/local/bin/capacityd", with: ServerProcess.binary)
            .write(toFile: copy, atomically: true, encoding: .utf8)
        let (status, output) = try runProcess("/usr/bin/systemd-analyze", ["verify", copy])
        #expect(status == 0, "\(output)")
        #expect(!output.contains("Unknown") && !output.contains("Failed"), "\(output)")
        let security = try runProcess("/usr/bin/systemd-analyze", ["security", "--offline=yes", copy]).output
        let score = security.firstMatch(of: /Overall exposure level for .*: ([0-9.]+)/).flatMap { Double($0.output.1) }
        #expect((score ?? 10) < 3, "\(security.suffix(300))")
    }

    @Test(arguments: ["demo", "step", "demo-failure", "production"])
    func smokePassesAgainstEachMode(mode: String) throws {
        let server = try ServerProcess(["--mode", mode, "--no-access-log"])
        let (status, output) = try runProcess(repositoryRoot + "/scripts/smoke", [server.baseURL])
        #expect(status == 0, "\(output)")
        #expect(output.contains("PASS  GET /time") && !output.contains("FAIL"))
        #expect(output.contains("SKIP") == (mode == "production"), "\(output)")
        server.stop()
    }

    @Test func smokeFailsWhenNothingAnswers() throws {
        let server = try ServerProcess()
        let port = server.port
        server.stop()
        let (status, output) = try runProcess(repositoryRoot + "/scripts/smoke", ["http://127.0.0.1:\(port)"])
        #expect(status == 1)
        #expect(output.contains("FAIL  GET /time"))
    }
}
