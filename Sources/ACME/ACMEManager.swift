import Crypto
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

        /// Where the certificate lives: the chain and then its key in one file, replaced by one rename, so a crash
        /// never pairs a new key with an old chain. Named after the set of names, so instances configured for
        /// other names (during a deployment that adds one) never serve or renew each other's certificate.
        public var certificateFiles: TLSConfiguration.CertificateFiles {
            let file = storage + "/certificate-" + String(SHA256.hexDigest(Array(names.joined(separator: ",").utf8)).prefix(16)) + ".pem"
            return TLSConfiguration.CertificateFiles(chainFile: file, keyFile: file, managedNames: names)
        }

        /// HTTP-01 key authorizations of an order in progress, one file per token, so that every instance
        /// sharing the storage answers the CA's validation requests, whichever one a load balancer picks.
        var challengeDirectory: String { storage + "/http-01" }

        /// One account per CA: a key made for the staging directory is unknown to the production one.
        var accountKeyFile: String {
            storage + "/account-" + String(SHA256.hexDigest(Array(directoryURL.utf8)).prefix(16)) + ".pem"
        }

        /// A name the CA can validate over HTTP-01 and that is safe in logs: LDH labels (RFC 1123), no wildcard
        /// (HTTP-01 cannot prove one), at most 253 characters. nil when fine, else why not, starting with the name.
        public static func problem(withName name: String) -> String? {
            let labels = name.split(separator: ".", omittingEmptySubsequences: false)
            guard name.utf8.count <= 253, labels.count >= 1, labels.allSatisfy({ label in
                (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                    && label.utf8.allSatisfy { $0 == 45 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
            }) else {
                return "\(name): not a DNS name (letters, digits and hyphens in dot-separated labels; no wildcard, which HTTP-01 cannot validate)"
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
    /// Whether the thread was started, and whether it has returned (read under `wakeUp`).
    private let lifecycle = Locked((started: false, finished: false))

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

    /// The key authorization for an HTTP-01 token of an order in progress, this instance's or (from the shared
    /// storage) another's. `token` is base64url, checked by the route, so it cannot leave the directory.
    public func challengeResponse(token: Substring) -> [UInt8]? {
        if let bytes = challenges.withLock({ $0[String(token)] }) { return bytes }
        return FileSystem.readRegularFile(settings.challengeDirectory + "/" + token, maxBytes: 4096, followSymlinks: false)
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
        try FileSystem.makeDirectory(settings.challengeDirectory, mode: 0o700)
        let thread = try PosixThread(name: "acme") { [self] in
            run()
            wakeUp.withLock {
                lifecycle.withLock { $0.finished = true }
                wakeUp.broadcast()
            }
        }
        // Nobody joins it: `stop` waits for it on the condition instead, with a deadline a join cannot have.
        thread.detach()
        // After the thread exists: a thread that failed to start is not waited for. (One that already finished
        // has `finished` set, which `stop` also reads.)
        lifecycle.withLock { $0.started = true }
    }

    /// Ends the thread and waits (at most `seconds`) for it to leave OpenSSL: the process's exit runs OpenSSL's
    /// clean-up, which must not pull the library from under an exchange with the CA. The thread stops before its
    /// next request to the CA, so the wait is at most one request's.
    public func stop(waitingAtMost seconds: Int = 5) {
        stopping.withLock { $0 = true }
        let deadline = Clock.monotonicMicroseconds() + Int64(seconds) * 1_000_000
        wakeUp.withLock {
            wakeUp.broadcast()
            while lifecycle.withLock({ $0.started && !$0.finished }) && Clock.monotonicMicroseconds() < deadline {
                wakeUp.wait(untilMonotonicMicroseconds: deadline)
            }
        }
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
                let failure: ACMEError
                if let onDisk = storedButNotServed() {
                    // A good certificate on disk that did not load (a broken trust file, say) is installed
                    // again, not ordered again: each order counts against the CA's limits.
                    let results = tls.reload(now: WallClock.now().seconds) { $0 == self.settings.certificateFiles }
                    stored = FileSystem.identity(settings.certificateFiles.chainFile)
                    if let held = current() {
                        log("capacityd: acme: certificate for \(names) installed: \(describe(held))", false)
                        failures = 0
                        retryAt = 0
                        continue
                    }
                    let reason = results.compactMap { if case .failure(let error) = $0 { error.description } else { nil } }.first
                    failure = .local("the stored certificate (serial \(onDisk.serial)) does not load: \(reason ?? "unknown")")
                } else {
                    log("capacityd: acme: ordering a certificate for \(names) from \(settings.directoryURL)", false)
                    do {
                        let installed = try obtain()
                        stored = FileSystem.identity(settings.certificateFiles.chainFile)
                        status.withLock { $0.issued += 1; $0.lastError = nil }
                        log("capacityd: acme: certificate for \(names) installed: \(describe(installed))", false)
                        clearChallenges()
                        if Self.renewalTime(installed) > WallClock.now().seconds {
                            failures = 0
                            retryAt = 0
                            continue
                        }
                        // Due as soon as issued: ordering again at once would loop; back off instead.
                        failure = .local("the new certificate is due for renewal already (valid from "
                                         + "\(Self.iso(installed.notBeforeEpochSeconds)); is the clock right?)")
                    } catch {
                        clearChallenges()
                        failure = error
                    }
                }
                // An order cut short by shutdown is not a failure to report or back off from.
                if isStopping { break }
                failures += 1
                let delay = Self.retryDelay(afterFailures: failures, jitter: Double.random(in: -0.1...0.1))
                retryAt = WallClock.now().seconds + delay
                status.withLock { $0.failed += 1; $0.lastError = failure.description }
                log("capacityd: acme: order for \(names) failed: \(failure); next attempt in \(delay) s", true)
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

    /// A certificate for these names stored (by this instance or another) and not yet due, that is not being
    /// served.
    private func storedButNotServed() -> CertificateInfo? {
        guard current() == nil,
              let onDisk = CertificateInfo.first(inPEMFile: settings.certificateFiles.chainFile, role: "acme certificate"),
              Set(onDisk.names) == Set(settings.names), Self.renewalTime(onDisk) > WallClock.now().seconds else { return nil }
        return onDisk
    }

    private func publish(token: String, keyAuthorization: String) {
        challenges.withLock { $0[token] = Array(keyAuthorization.utf8) }
        // Best effort: this instance answers from memory; the file is for the others sharing the storage.
        try? store(Array(keyAuthorization.utf8), at: settings.challengeDirectory + "/" + token, directory: settings.challengeDirectory)
    }

    private func clearChallenges() {
        let tokens = challenges.withLock { challenges in
            defer { challenges.removeAll() }
            return Array(challenges.keys)
        }
        for token in tokens { try? FileSystem.removeIfPresent(settings.challengeDirectory + "/" + token) }
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
        client.isCancelled = { [self] in isStopping }
        client.pause = { [self] seconds in sleep(untilEpochSeconds: WallClock.now().seconds + seconds) }
        try client.register(email: settings.email)
        let order = try client.newOrder(names: settings.names)
        for authorization in order.authorizations {
            try client.authorize(authorization) { token, keyAuthorization in publish(token: token, keyAuthorization: keyAuthorization) }
        }
        let key: ECKey
        let csr: [UInt8]
        let keyPEM: [UInt8]
        do {
            key = try ECKey.generate()
            csr = try key.certificateRequest(names: settings.names)
            keyPEM = try key.pem()
        } catch {
            throw ACMEError.local("cannot make the certificate's key and CSR: \(error)")
        }
        let chain = try client.finalize(order, csr: csr)
        let files = settings.certificateFiles
        try store(chain + (chain.last == 10 ? [] : [10]) + keyPEM, at: files.chainFile)
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
            try store(try key.pem(), at: path)
            return key
        } catch let error as ACMEError {
            throw error
        } catch {
            throw ACMEError.local("account key \(path): \(error)")
        }
    }

    /// Written whole to a temporary file (0600), synced and renamed, so a crash leaves the old file or the new.
    private func store(_ bytes: [UInt8], at path: String, directory: String? = nil) throws(ACMEError) {
        let temporary = path + ".new"
        do {
            let file = try FileSystem.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
            defer { file.close() }
            try FileSystem.write(bytes, to: file, at: 0)
            try FileSystem.fsync(file)
            try FileSystem.rename(temporary, to: path)
            try FileSystem.syncDirectory(directory ?? settings.storage)
        } catch {
            throw ACMEError.local("cannot store \(path): \(error)")
        }
    }
}
