import Foundation

/// A throwaway PostgreSQL 15 server for the tests: `initdb` into a new temporary directory, listening only on a
/// Unix socket in it (no TCP port, so test runs never collide), trust authentication for the `postgres` user.
/// PostgreSQL refuses to run as root; as root the server's commands run as `nobody` on a directory it owns.
///
/// `shared` serves every test that only needs a database of its own (`createDatabase()`); a test that stops,
/// crashes or pauses the server makes one of its own. Every server started here is stopped when the test process
/// exits, and `scripts/test` stops any a crashed run left behind.
public final class PostgresTestServer: @unchecked Sendable {
    public static let binaries = "/usr/lib/postgresql/15/bin"
    /// The data directory lives in `directory`, beside the socket.
    public let directory: String
    public let port = 5432

    /// Started on first use.
    public static let shared: PostgresTestServer = {
        do {
            return try PostgresTestServer()
        } catch {
            fatalError("could not start the test PostgreSQL server: \(error)")
        }
    }()

    private static let running = NSLock()
    nonisolated(unsafe) private static var directories: [String] = []

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init() throws {
        directory = NSTemporaryDirectory() + "capacityd-pg-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 {
            try Self.run("/bin/chown", ["nobody:", directory])
            try Self.run("/bin/chmod", ["755", directory])
        }
        try serverCommand("initdb", ["-D", dataDirectory, "--no-locale", "-E", "UTF8", "-U", "postgres", "--auth=trust",
                                     "--nosync"])
        try start()
        Self.running.withLock {
            if Self.directories.isEmpty { atexit { PostgresTestServer.stopAll() } }
            Self.directories.append(directory)
        }
    }

    var dataDirectory: String { directory + "/data" }

    /// A libpq URL for `database` on this server.
    public func url(database: String = "postgres") -> String {
        "postgresql:///\(database)?host=\(directory)&port=\(port)&user=postgres"
    }

    public func start() throws {
        try serverCommand("pg_ctl", ["-D", dataDirectory, "-w", "-l", directory + "/log", "-o",
                                     "-k \(directory) -c listen_addresses='' -p \(port) -c max_connections=300", "start"])
    }

    /// `fast` ends sessions and shuts down cleanly; `immediate` is a crash (recovery replays the WAL on start).
    public func stop(mode: String = "fast") throws {
        try serverCommand("pg_ctl", ["-D", dataDirectory, "-m", mode, "-w", "stop"])
    }

    /// The postmaster and every process it started (backends, checkpointer, WAL writer, …).
    public func processIDs() throws -> [Int32] {
        let pidFile = try String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8)
        guard let postmaster = pidFile.split(separator: "\n").first.flatMap({ Int32($0) }) else {
            throw Failure(description: "no postmaster pid in \(dataDirectory)/postmaster.pid")
        }
        let children = (try? Self.run("/usr/bin/pgrep", ["-P", "\(postmaster)"])) ?? ""
        return [postmaster] + children.split(separator: "\n").compactMap { Int32($0) }
    }

    /// `kill -STOP` of the whole server: it accepts connections (the kernel queues them) and answers nothing.
    public func pause() throws {
        for pid in try processIDs() { kill(pid, SIGSTOP) }
    }

    public func resume() throws {
        for pid in try processIDs() { kill(pid, SIGCONT) }
    }

    /// `pg_terminate_backend` of every session with `applicationName`; returns how many were cut.
    @discardableResult
    public func terminateSessions(applicationName: String) throws -> Int {
        let output = try psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '\(applicationName)'")
        return Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// A new, empty database; returns its URL.
    public func createDatabase() throws -> String {
        let name = "test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        _ = try psql("CREATE DATABASE \(name)")
        return url(database: name)
    }

    public func dropDatabase(url: String) {
        guard let name = url.split(separator: "?").first?.split(separator: "/").last else { return }
        _ = try? psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Runs SQL with psql and returns its unaligned, tuples-only output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        try Self.run(Self.binaries + "/psql", ["-h", directory, "-p", "\(port)", "-U", "postgres", "-d", database,
                                              "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    private func serverCommand(_ name: String, _ arguments: [String]) throws {
        let command = Self.binaries + "/" + name
        if getuid() == 0 {
            try Self.run("/usr/sbin/runuser", ["-u", "nobody", "--", command] + arguments)
        } else {
            try Self.run(command, arguments)
        }
    }

    /// Runs a program to completion with its output in a file, and returns that output; throws on a non-zero
    /// exit. Spawned directly rather than with Foundation's Process: `pg_ctl start` leaves the server running with
    /// whatever descriptors it inherited, and Process notices a child's exit only once every copy of its own
    /// pipe is closed, which the server never does. Here the child gets only stdin, stdout and stderr.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let log = NSTemporaryDirectory() + "capacityd-pg-command-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        _ = spawnActionsCloseFrom(&actions, 3)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw Failure(description: "\(executable): posix_spawn: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard exitStatus == 0 else {
            throw Failure(description: "\(executable) \(arguments.joined(separator: " ")): exit \(exitStatus): \(text)")
        }
        return text
    }

    /// Stops every server this process started, as a crash would (nothing in them is needed afterwards).
    static func stopAll() {
        let directories = running.withLock { Self.directories }
        for directory in directories {
            let arguments = ["-D", directory + "/data", "-m", "immediate", "-w", "stop"]
            let command = binaries + "/pg_ctl"
            _ = try? getuid() == 0 ? run("/usr/sbin/runuser", ["-u", "nobody", "--", command] + arguments)
                                   : run(command, arguments)
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which the Glibc module hides behind _GNU_SOURCE;
/// its two arguments pass the same way in Swift's and C's calling conventions on Linux.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func spawnActionsCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
