import CPostgresShims
import Configuration
import Glibc

/// How capacityd reaches PostgreSQL: a libpq connection string and the limits it puts on the connections. What the
/// string leaves out falls back to libpq's own `PG*` environment variables (`PGHOST`, `PGPASSFILE`, `PGSSLMODE`,
/// `PGSSLROOTCERT`, …), so an RDS set-up with `sslmode=verify-full` works unchanged.
public struct DatabaseSettings: Sendable, Equatable {
    /// A libpq connection string, URI (`postgresql://user@host/db?sslmode=verify-full`) or keyword=value form.
    public var url: String
    /// Connections each process keeps, each on a thread of its own.
    public var poolSize: Int
    /// Seconds to establish a connection (libpq's `connect_timeout`, at least 2).
    public var connectTimeoutSeconds: Int
    /// Most milliseconds one statement may run (the server's `statement_timeout`); capacityd also stops waiting
    /// for an answer a second after it, so a database that stops answering cannot hold a request.
    public var statementTimeoutMilliseconds: Int
    /// Most milliseconds a statement waits for a row lock (`lock_timeout`).
    public var lockTimeoutMilliseconds: Int
    /// Seconds of silence before TCP keepalives probe the server (`keepalives_idle`).
    public var keepaliveIdleSeconds: Int

    public init(url: String, poolSize: Int = 4, connectTimeoutSeconds: Int = 5, statementTimeoutMilliseconds: Int = 5000,
                lockTimeoutMilliseconds: Int = 2000, keepaliveIdleSeconds: Int = 30) {
        self.url = url
        self.poolSize = poolSize
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        self.lockTimeoutMilliseconds = lockTimeoutMilliseconds
        self.keepaliveIdleSeconds = keepaliveIdleSeconds
    }

    /// The settings, for the messages of `validate()`.
    public enum Field: Sendable {
        case url, poolSize, connectTimeout, statementTimeout, lockTimeout, keepaliveIdle
    }

    /// Checks the connection string parses and the limits are sane. libpq's parse message is left out: it can
    /// quote the part of the string it choked on, which may be the password.
    public func validate() throws(InvalidSetting<Field>) {
        let pq: LibPQ
        switch LibPQ.loaded {
        case .success(let loaded): pq = loaded
        case .failure(let error): throw "\(.url): \(error)"
        }
        guard let options = pq.PQconninfoParse(url, nil) else {
            throw "\(.url) is not a libpq connection string (a postgresql:// URI or keyword=value pairs)"
        }
        pq.PQconninfoFree(options)
        func check(_ rule: Bool, _ problem: InvalidSetting<Field>) throws(InvalidSetting<Field>) {
            if !rule { throw problem }
        }
        try check((1...64).contains(poolSize), "\(.poolSize) must be 1 to 64")
        try check((2...300).contains(connectTimeoutSeconds), "\(.connectTimeout) must be 2 to 300 seconds")
        try check((100...600_000).contains(statementTimeoutMilliseconds), "\(.statementTimeout) must be 0.1 to 600 seconds")
        try check((100...600_000).contains(lockTimeoutMilliseconds), "\(.lockTimeout) must be 0.1 to 600 seconds")
        try check((1...7200).contains(keepaliveIdleSeconds), "\(.keepaliveIdle) must be 1 to 7200 seconds")
    }

    /// The parameters for `PQconnectdbParams`, in order: capacityd's defaults first (the session's
    /// `applicationName` among them), each left out where libpq's environment variable sets it, then the
    /// connection string, which libpq expands and lets override them all.
    func connectionParameters(applicationName: String = "capacityd",
                              environment: (String) -> String? = { name in getenv(name).map { String(cString: $0) } })
        -> [(keyword: String, value: String)] {
        var parameters: [(keyword: String, value: String)] = []
        if environment("PGAPPNAME") == nil { parameters.append(("application_name", applicationName)) }
        if environment("PGCONNECT_TIMEOUT") == nil { parameters.append(("connect_timeout", String(connectTimeoutSeconds))) }
        parameters += [("keepalives", "1"), ("keepalives_idle", String(keepaliveIdleSeconds)),
                       ("keepalives_interval", "10"), ("keepalives_count", "3"), ("dbname", url)]
        return parameters
    }

    /// Where the string points, for logs and `check-config`: host, port, database and user, never the password.
    public var displayName: String {
        guard case .success(let pq) = LibPQ.loaded else { return "postgresql (libpq not loaded)" }
        guard let options = pq.PQconninfoParse(url, nil) else { return "postgresql (unparsable connection string)" }
        defer { pq.PQconninfoFree(options) }
        var given: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { given[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        func value(_ keyword: String, _ variable: String) -> String? {
            given[keyword] ?? getenv(variable).map { String(cString: $0) }
        }
        let host = value("host", "PGHOST") ?? value("hostaddr", "PGHOSTADDR") ?? "localhost"
        let port = value("port", "PGPORT") ?? "5432"
        let database = value("dbname", "PGDATABASE") ?? value("user", "PGUSER") ?? "(default)"
        let user = value("user", "PGUSER") ?? "(default)"
        return "postgresql \(user)@\(host):\(port)/\(database)"
    }
}
