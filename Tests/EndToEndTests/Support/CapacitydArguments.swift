import Foundation

/// `capacityd ARGUMENTS` run to its end, for a start-up that must be refused; its stdout and stderr together.
/// Bounded: a server that starts instead is killed after `timeout` seconds (status -1) rather than hanging the
/// suite. The output goes to a file, not a pipe: a pipe's write end, inherited by a child another test starts at
/// that moment, would keep the read open as long as that child runs.
func capacitydStartUp(_ arguments: [String], timeout: TimeInterval = 60) throws -> (status: Int32, output: String) {
    let directory = ServerProcess.temporaryDirectory()
    let outputPath = directory + "/output"
    _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
    let output = FileHandle(forWritingAtPath: outputPath)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ServerProcess.binary)
    process.arguments = arguments
    process.standardOutput = output
    process.standardError = output
    process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
    try spawning { try process.run() }
    let exited = waitFor(timeout: timeout) { !process.isRunning }
    if !exited { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    // A crash (a signal) is no refusal either.
    return (exited && process.terminationReason == .exit ? process.terminationStatus : -1, text)
}

/// `--tls-cert FILE --tls-key FILE` for each pair, in order (the first is the default certificate).
func tlsPairArguments(_ pairs: [TestPKI.Pair]) -> [String] {
    pairs.flatMap { ["--tls-cert", $0.certificate, "--tls-key", $0.key] }
}
