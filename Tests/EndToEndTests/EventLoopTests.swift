import Foundation
import Testing

@Suite("Event loops sized to the CPUs the process may use")
struct EventLoopTests {
    /// Starts `command` (ending in `capacityd serve`, given a free port and a state directory), returns its start-up line, and stops it.
    private func startUpLine(_ command: [String]) throws -> String {
        let directory = ServerProcess.temporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst()) + ["--http", "127.0.0.1:0", "--state-dir", directory + "/state"]
        let stderrPath = directory + "/stderr"
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try spawning { try process.run() }
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.contains("listening on") }) { return String(line) }
            usleep(10_000)
        }
        throw ServerProcess.StartFailed(stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
    }

    @Test func oneCPUOneLoop() throws {
        let line = try startUpLine(["/usr/bin/taskset", "-c", "0", ServerProcess.binary, "serve"])
        #expect(line.contains(", 1 event loop (affinity 1"), "\(line)")
    }

    /// On the whole machine the affinity is what nproc says (it also honours the mask), and the loops are that
    /// or the cgroup quota's whole CPUs, whichever is fewer.
    @Test func theWholeMachine() throws {
        let nproc = Int(try runProcess("/usr/bin/nproc", []).output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let line = try startUpLine([ServerProcess.binary, "serve"])
        let pattern = /, (\d+) event loops? \(affinity (\d+)(, cgroup quota ([0-9.]+))?\)\)$/
        let match = try #require(line.firstMatch(of: pattern), "\(line)")
        #expect(Int(match.output.2) == nproc)
        let quota = match.output.4.flatMap { Double($0) }
        #expect(Int(match.output.1) == max(1, min(nproc, quota.map { Int($0.rounded(.up)) } ?? nproc)))
    }

    @Test func theOptionWins() throws {
        let line = try startUpLine(["/usr/bin/taskset", "-c", "0", ServerProcess.binary, "serve", "--event-loops", "3"])
        #expect(line.contains(", 3 event loops (--event-loops))"), "\(line)")
    }
}
