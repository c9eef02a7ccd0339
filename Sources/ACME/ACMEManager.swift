import Glibc
import SystemIO
import TLS

/// Keeps one certificate for `--acme-domain`'s names: obtains it when there is none (or the stored one is for
/// other names), renews it when a third of its lifetime is left, and installs each new one into the running
/// server's TLS context without a restart. One thread of its own sleeps between attempts; a failed attempt is
/// retried after 1 minute, then 2, 4, … up to 6 hours (±10 % jitter, so several servers do not retry in step),
/// while the certificate it has keeps being served. What it has and last failed with is readable from any
/// thread, for `/readyz` and `/metrics`.
///
/// Instances that share the storage directory (one host, or a shared volume such as EFS) order one at a time:
/// an order is placed only under an exclusive lock on `acme/order.lock`, and each instance adopts a certificate
/// another one stored there (it checks the file before every decision and at least hourly).
public final class ACMEManager: Sendable {
    public struct Settings: Sendable, Equatable {
        public var names: [String]
        public var email: String?
        public var directoryURL: String
        /// A PEM file trusted for the CA's HTTPS API instead of the system's store (a test CA such as pebble).
        public var caRoot: String?
        /// `STATE_DIR/acme`: the account key and the certificate with its key, mode 0600 in a 0700 directory.
        public var storage: String

        public static let letsEncrypt = "https://acme-v02.api.letsencrypt.org/directory"
        public static let letsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory"

        public init(names: [String], email: String?, directoryURL: String, caRoot: String?, storage: String) {
            self.names = names
            self.email = email
            self.directoryURL = directoryURL
            self.caRoot = caRoot
            self.storage = storage
        }

        /// Where the certificate lives; the TLS configuration serves it from there as a managed pair.
        public var certificateFiles: TLSConfiguration.CertificateFiles {
            TLSConfiguration.CertificateFiles(chainFile: storage + "/certificate.pem", keyFile: storage + "/certificate-key.pem",
                                              managedNames: names)
        }

        /// One account per CA: a key made for the staging directory is unknown to the production one.
        var accountKeyFile: String {
            storage + "/account-" + String(SHA256.hexDigest(Array(directoryURL.utf8)).prefix(16)) + ".pem"
        }

        /// A name the CA can validate over HTTP-01 and that is safe in logs: LDH labels (RFC 1123), no wildcard
        /// (HTTP-01 cannot prove one), at most 253 characters. nil when fine, else why not.
        public static func problem(withName name: String) -> String? {
            let labels = name.split(separator: ".", omittingEmptySubsequences: false)
            guard name.utf8.count <= 253, labels.count >= 1, labels.allSatisfy({ label in
                (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                    && label.utf8.allSatisfy { $0 == 45 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
            }) else {
                return "--acme-domain \(name): not a DNS name (letters, digits and hyphens in dot-separated labels; no wildcard, which HTTP-01 cannot validate)"
            }
            return nil
        }
    }

    public struct Status: Sendable {
        public var issued = 0
        public var failed = 0
        public var lastError: String?
    }

    private let settings: Settings
    private let tls: ReloadableTLSContext
    private let log: @Sendable (_ line: String, _ isWarning: Bool) -> Void
    private let challenges = Locked<[String: [UInt8]]>([:])
    private let status = Locked(Status())
    private let wakeUp = ConditionLock()
    private let stopping = Locked(false)

    static let firstRetrySeconds = 60
    static let lastRetrySeconds = 6 * 3600

    public init(_ settings: Settings, tls: ReloadableTLSContext,
                log: @escaping @Sendable (_ line: String, _ isWarning: Bool) -> Void) {
        self.settings = settings
        self.tls = tls
        self.log = log
    }

    /// For `check-config`: nil when the CA's directory answers as one, else why not.
    public static func directoryProblem(_ settings: Settings) -> String? {
        do {
            let client = ACMEClient(directory: try URL(settings.directoryURL), accountKey: try ECKey.generate(),
                                    http: HTTPSClient(trustFile: settings.caRoot, timeoutSeconds: 10))
            _ = try client.loadDirectory()
            return nil
        } catch {
            return "ACME directory \(settings.directoryURL): \(error)"
        }
    }

    /// The key authorization for an HTTP-01 token of an order in progress.
    public func challengeResponse(token: Substring) -> [UInt8]? {
        challenges.withLock { $0[String(token)] }
    }

    public var currentStatus: Status { status.withLock { $0 } }

    /// Why HTTPS is not ready for the managed names, or nil once their certificate is served.
    public func readinessProblem() -> String? {
        guard tls.current.serving(settings.certificateFiles) == nil else { return nil }
        let names = settings.names.joined(separator: ", ")
        return "no certificate yet for \(names)" + (currentStatus.lastError.map { " (last ACME error: \($0))" } ?? "")
    }

    /// Starts the thread; it runs until `stop`.
    public func start() throws(SystemError) {
        try FileSystem.makeDirectory(settings.storage, mode: 0o700)
        _ = try PosixThread(name: "acme") { [self] in run() }
    }

    public func stop() {
        stopping.withLock { $0 = true }
        wakeUp.withLock { wakeUp.signal() }
    }

    private var isStopping: Bool { stopping.withLock { $0 } }

    private func run() {
        var failures = 0
        var retryAt = 0
        var announced = false
        var stored = FileSystem.identity(settings.certificateFiles.chainFile)
        while !isStopping {
            adoptStored(&stored)
            let now = WallClock.now().seconds
            let held = current()
            if let held, !announced {
                log("capacityd: acme: using the stored certificate for \(names): \(describe(held))", false)
            }
            announced = true
            let renewal = held.map(Self.renewalTime) ?? now
            if now >= max(renewal, retryAt) {
                let lock: FileDescriptor
                do {
                    guard let held = try FileSystem.tryLock(settings.storage + "/order.lock") else {
                        // Another instance is ordering; its certificate is adopted once stored.
                        sleep(untilEpochSeconds: now + Self.firstRetrySeconds)
                        continue
                    }
                    lock = held
                } catch {
                    log("capacityd: acme: cannot lock \(settings.storage)/order.lock: \(error)", true)
                    sleep(untilEpochSeconds: now + Self.firstRetrySeconds)
                    continue
                }
                defer { lock.close() }
                // What another instance stored while this one waited for the lock may make the order needless.
                adoptStored(&stored)
                if let held = current(), Self.renewalTime(held) > WallClock.now().seconds { continue }
                log("capacityd: acme: ordering a certificate for \(names) from \(settings.directoryURL)", false)
                do {
                    let installed = try obtain()
                    stored = FileSystem.identity(settings.certificateFiles.chainFile)
                    failures = 0
                    retryAt = 0
                    status.withLock { $0.issued += 1; $0.lastError = nil }
                    log("capacityd: acme: certificate for \(names) installed: \(describe(installed))", false)
                } catch {
                    failures += 1
                    let delay = Self.retryDelay(afterFailures: failures, jitter: Double.random(in: -0.1...0.1))
                    retryAt = WallClock.now().seconds + delay
                    status.withLock { $0.failed += 1; $0.lastError = error.description }
                    log("capacityd: acme: order for \(names) failed: \(error); next attempt in \(delay) s", true)
                }
                challenges.withLock { $0.removeAll() }
                continue
            }
            sleep(untilEpochSeconds: max(renewal, retryAt))
        }
    }

    private var names: String { settings.names.joined(separator: ", ") }

    /// Loads the stored certificate again if its file changed since `identity` (another instance renewed it).
    private func adoptStored(_ identity: inout [Int]?) {
        let files = settings.certificateFiles
        let now = FileSystem.identity(files.chainFile)
        guard now != identity else { return }
        identity = now
        let results = tls.reload(now: WallClock.now().seconds) { $0 == files }
        if case .success(let info)? = results.first, let held = current(), held == info {
            log("capacityd: acme: certificate for \(names) loaded from \(files.chainFile): \(describe(held))", false)
        }
    }

    /// The managed certificate being served, if it is for exactly the configured names.
    private func current() -> CertificateInfo? {
        guard let info = tls.current.serving(settings.certificateFiles),
              Set(info.names) == Set(settings.names.map { $0.lowercased() }) else { return nil }
        return info
    }

    private func describe(_ info: CertificateInfo) -> String {
        "serial \(info.serial), valid until \(Self.iso(info.notAfterEpochSeconds)), renewal from \(Self.iso(Self.renewalTime(info)))"
    }

    private static func iso(_ seconds: Int) -> String {
        String(WallClock.iso8601(epochMilliseconds: Int64(seconds) * 1000).prefix(19)) + "Z"
    }

    /// When a third of the lifetime is left (Let's Encrypt's advice: day 60 of 90).
    static func renewalTime(_ info: CertificateInfo) -> Int {
        info.notAfterEpochSeconds - (info.notAfterEpochSeconds - info.notBeforeEpochSeconds) / 3
    }

    /// 60 s × 2^(failures − 1), at most 6 hours, with `jitter` (a fraction, ±0.1) applied.
    static func retryDelay(afterFailures failures: Int, jitter: Double) -> Int {
        let base = min(lastRetrySeconds, firstRetrySeconds << min(max(failures - 1, 0), 20))
        return max(1, Int((Double(base) * (1 + jitter)).rounded()))
    }

    private func sleep(untilEpochSeconds deadline: Int) {
        let seconds = max(0, min(deadline - WallClock.now().seconds, 3600))
        wakeUp.withLock {
            guard !isStopping else { return }
            wakeUp.wait(untilMonotonicMicroseconds: Clock.monotonicMicroseconds() + Int64(seconds) * 1_000_000)
        }
    }

    /// One whole order: account, authorizations through HTTP-01, a new key and CSR, the chain; stored and
    /// installed only if it loads as a certificate for these names.
    private func obtain() throws(ACMEError) -> CertificateInfo {
        let http = HTTPSClient(trustFile: settings.caRoot)
        let client = ACMEClient(directory: try URL(settings.directoryURL), accountKey: try accountKey(), http: http)
        try client.register(email: settings.email)
        var order = try client.newOrder(names: settings.names)
        for authorization in order.authorizations {
            try client.authorize(authorization) { token, keyAuthorization in
                challenges.withLock { $0[token] = Array(keyAuthorization.utf8) }
            }
        }
        let key: ECKey
        let csr: [UInt8]
        do {
            key = try ECKey.generate()
            csr = try key.certificateRequest(names: settings.names)
        } catch {
            throw ACMEError.local("cannot make the certificate's key and CSR: \(error)")
        }
        let chain = try client.finalize(order, csr: csr)
        order.status = "valid"
        let files = settings.certificateFiles
        try store(key.pem, at: files.keyFile)
        try store(chain, at: files.chainFile)
        let results = tls.reload(now: WallClock.now().seconds) { $0 == files }
        if case .failure(let error)? = results.first { throw ACMEError.local("the issued certificate does not load: \(error)") }
        guard let installed = current() else { throw ACMEError.local("the issued certificate is not for \(names)") }
        return installed
    }

    private func accountKey() throws(ACMEError) -> ECKey {
        let path = settings.accountKeyFile
        do {
            if let pem = try FileSystem.read(path) { return try ECKey(pem: pem) }
            let key = try ECKey.generate()
            try store(key.pem, at: path)
            return key
        } catch let error as ACMEError {
            throw error
        } catch {
            throw ACMEError.local("account key \(path): \(error)")
        }
    }

    /// Written whole to a temporary file (0600), synced and renamed, so a crash leaves the old file or the new.
    private func store(_ bytes: [UInt8], at path: String) throws(ACMEError) {
        let temporary = path + ".new"
        do {
            let file = try FileSystem.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
            defer { file.close() }
            try FileSystem.write(bytes, to: file, at: 0)
            try FileSystem.fsync(file)
            try FileSystem.rename(temporary, to: path)
            try FileSystem.syncDirectory(settings.storage)
        } catch {
            throw ACMEError.local("cannot store \(path): \(error)")
        }
    }
}
