import Foundation

/// A throwaway PostgreSQL 15 server for the tests: `initdb` into a new temporary directory, listening only on a
/// Unix socket in it (no TCP port, so test runs never collide), trust authentication for the `postgres` user.
/// PostgreSQL refuses to run as root; as root the server's commands run as `nobody` on a directory it owns.
/// With `tls`, it also listens on 127.0.0.1 (a free port) with that certificate, and connections over TCP must
/// give `password` (SCRAM), as an RDS instance with `sslmode=verify-full` would ask.
///
/// `shared` serves every test that only needs a database of its own (`createDatabase()`); a test that stops,
/// crashes or pauses the server makes one of its own. Every server started here is stopped when the test process
/// exits, and `scripts/test` stops any a crashed run left behind.
public final class PostgresTestServer: @unchecked Sendable {
    public static let binaries = "/usr/lib/postgresql/15/bin"
    /// The data directory lives in `directory`, beside the socket.
    public let directory: String
    public let port: Int
    /// On 127.0.0.1, when started with `tls`.
    public let listensOnTCP: Bool

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

    /// `tls`: PEM files of the server's certificate and key; `password`: the `postgres` user's, for TCP.
    public init(tls: (certificate: String, key: String)? = nil, password: String = "") throws {
        directory = NSTemporaryDirectory() + "capacityd-pg-" + UUID().uuidString.prefix(8)
        listensOnTCP = tls != nil
        port = tls != nil ? try Self.freeTCPPort() : 5432
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let tls {
            // PostgreSQL reads them as its own user and wants the key readable by nobody else.
            for (source, name) in [(tls.certificate, "server.crt"), (tls.key, "server.key")] {
                try FileManager.default.copyItem(atPath: source, toPath: directory + "/" + name)
                try Self.run("/bin/chmod", ["600", directory + "/" + name])
            }
        }
        if getuid() == 0 {
            try Self.run("/bin/chown", ["-R", "nobody:", directory])
            try Self.run("/bin/chmod", ["755", directory])
        }
        try serverCommand("initdb", ["-D", dataDirectory, "--no-locale", "-E", "UTF8", "-U", "postgres",
                                     "--auth-local=trust", "--auth-host=scram-sha-256", "--nosync"])
        try start()
        if tls != nil { try psql("ALTER USER postgres PASSWORD '\(password)'") }
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

    /// A libpq URL for `database` over TCP and TLS, checking the server's certificate against `root`.
    public func tlsURL(password: String, root: String, database: String = "postgres") -> String {
        "postgresql://postgres:\(password)@localhost:\(port)/\(database)?sslmode=verify-full&sslrootcert=\(root)"
    }

    public func start() throws {
        var options = "-k \(directory) -p \(port) -c max_connections=300"
        options += listensOnTCP
            ? " -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file=\(directory)/server.crt -c ssl_key_file=\(directory)/server.key"
            : " -c listen_addresses=''"
        try serverCommand("pg_ctl", ["-D", dataDirectory, "-w", "-l", directory + "/log", "-o", options, "start"])
    }

    /// A port nothing listens on now: the kernel's choice for a socket bound to port 0, released at once.
    private static func freeTCPPort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
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

    /// `pg_terminate_backend` of every session with `applicationName` (on `database` only, if given); returns how
    /// many were cut.
    @discardableResult
    public func terminateSessions(applicationName: String, database: String? = nil) throws -> Int {
        try count("pg_terminate_backend(pid)", applicationName: applicationName, database: database)
    }

    /// The sessions with `applicationName` (on `database` only, if given).
    public func sessions(applicationName: String, database: String? = nil) throws -> Int {
        try count("*", applicationName: applicationName, database: database)
    }

    private func count(_ what: String, applicationName: String, database: String?) throws -> Int {
        let output = try psql("SELECT count(\(what)) FROM pg_stat_activity WHERE application_name = '\(applicationName)'"
                              + (database.map { " AND datname = '\($0)'" } ?? ""))
        return Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// A new, empty database; returns its URL.
    public func createDatabase() throws -> String {
        let name = "test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        _ = try psql("CREATE DATABASE \(name)")
        return url(database: name)
    }

    public func dropDatabase(url: String) {
        _ = try? psql("DROP DATABASE IF EXISTS \(Self.databaseName(of: url)) WITH (FORCE)")
    }

    /// The database of a URL that `url(database:)` or `createDatabase()` made.
    public static func databaseName(of url: String) -> String {
        String(url.split(separator: "?").first?.split(separator: "/").last ?? "postgres")
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
