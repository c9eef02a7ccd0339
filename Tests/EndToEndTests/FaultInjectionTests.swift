import Foundation
import Testing

@Suite("Store faults: disk full, I/O errors, failed fsync")
struct FaultInjectionTests {
    /// A write that cannot be made durable is refused with 503 and changes nothing, in memory or on disk;
    /// /readyz says so; and the server recovers by itself once the disk works again.
    @Test(arguments: ["enospc", "eio", "fsync-eio"])
    func aFailedWriteIs503AndChangesNothing(fault: String) throws {
        let (server, control) = try startWithFaults("none")
        let url = server.baseURL + "/v1/scalableTargetDimensions/faulty"
        #expect(try patch(url, #"{"desiredCapacity": 2}"#).status == 200)

        try fault.write(toFile: control, atomically: true, encoding: .utf8)
        let refused = try patch(url, #"{"desiredCapacity": 3}"#)
        #expect(refused.status == 503)
        #expect(refused.message?.contains("state store is unavailable") == true, "\(refused.body)")
        #expect(try curl(url).json?["desiredCapacity"] as? Double == 2)
        let notReady = try curl(server.baseURL + "/readyz")
        #expect(notReady.status == 503)
        #expect(notReady.message?.contains("last store write failed") == true)
        #expect(try curl(server.baseURL + "/healthz").status == 200)
        #expect(try curl(server.baseURL + "/metrics").body.contains("capacityd_store_write_failures_total 1"))

        // The disk has room again: the next write works and readiness comes back, no restart needed.
        try "none".write(toFile: control, atomically: true, encoding: .utf8)
        #expect(try patch(url, #"{"desiredCapacity": 4}"#).status == 200)
        #expect(try curl(server.baseURL + "/readyz").status == 200)

        // What was refused never reaches the disk: after kill -9 the store holds the last acknowledged value.
        try fault.write(toFile: control, atomically: true, encoding: .utf8)
        #expect(try patch(url, #"{"desiredCapacity": 5}"#).status == 503)
        server.crash()
        try "none".write(toFile: control, atomically: true, encoding: .utf8)
        try server.start()
        let after = try curl(server.baseURL + "/v1/scalableTargetDimensions/faulty")  // a new port
        #expect(after.json?["desiredCapacity"] as? Double == 4, "\(after.body) \(server.stderr)")
        #expect(server.stop() == 0)
    }

    /// The state directory's names (the log's, its own in its parent) are made durable by each process before its
    /// first acknowledged write, not at start-up, and not only by the process that made them, which may have exited
    /// without writing: with directory syncs failing, a server starts and serves, its first write is refused, and
    /// once they work the write is acknowledged. `madeEarlier`: a server without faults made the directory and
    /// stopped without a write first.
    @Test(arguments: [false, true])
    func theStateDirectoryIsSyncedBeforeTheFirstAcknowledgedWrite(madeEarlier: Bool) throws {
        let (server, control) = try startWithFaults(madeEarlier ? "none" : "dirsync-eio")
        if madeEarlier {
            #expect(server.stop() == 0)
            try "dirsync-eio".write(toFile: control, atomically: true, encoding: .utf8)
            try server.start()
        }
        #expect(try curl(server.baseURL + "/time").status == 200)
        let url = server.baseURL + "/v1/scalableTargetDimensions/new"
        #expect(try patch(url, #"{"desiredCapacity": 2}"#).status == 503)
        try "none".write(toFile: control, atomically: true, encoding: .utf8)
        #expect(try patch(url, #"{"desiredCapacity": 2}"#).status == 200)
        #expect(server.stop() == 0)
    }

    /// A server in production mode under the fault shim, failing what `fault` says from the start; the control file
    /// changes that.
    private func startWithFaults(_ fault: String) throws -> (server: ServerProcess, control: String) {
        let directory = ServerProcess.temporaryDirectory()
        let library = try buildFaultShim(into: directory)
        let control = directory + "/fault"
        try fault.write(toFile: control, atomically: true, encoding: .utf8)
        let server = try ServerProcess(["--mode", "production"],
                                       environment: ["LD_PRELOAD": library, "FAULTFS_CONTROL": control],
                                       directory: directory)
        return (server, control)
    }
}
