import ACME
import CapacityAPI
import StoreFactory
import SystemIO
import TLS

/// `capacityd check-config`: everything that would stop `serve` from starting, or make it fail later, found
/// without serving. One line per problem.
public enum ConfigurationCheck {
    public static func problems(_ settings: ServiceSettings) -> [String] {
        var problems: [String] = []
        for address in settings.httpAddresses + settings.httpsAddresses + (settings.metricsAddress.map { [$0] } ?? []) {
            do {
                try address.checkBindable()
            } catch {
                problems.append("listen address \(address): \(error)")
            }
        }
        // A database is connected to and its schema version checked; a file store is opened.
        let stateProblems = settings.store.location.isExclusive ? stateProblems(settings.store.stateDirectory)
            : writableDirectoryProblem(settings.store.stateDirectory, what: "state directory").map { [$0] } ?? []
        problems += stateProblems
        if let problem = settings.store.location.checkDatabase(migrating: settings.migrate) { problems.append(problem) }
        // The default log directory lies inside the state directory, which start-up makes first.
        if let problem = writableDirectoryProblem(settings.transitionLogDirectory, what: "log directory",
                                                  parentMadeFirst: stateProblems.isEmpty ? settings.store.stateDirectory : nil) {
            problems.append(problem)
        }
        if let tls = settings.tls {
            let now = WallClock.now().seconds
            do {
                let context = try TLSContext(tls, now: now)
                for certificate in context.certificates where certificate.daysLeft(atEpochSeconds: now) < 0 {
                    problems.append("\(certificate.file): \(certificate.role) \(certificate.subject) has expired")
                }
            } catch {
                problems.append(error.description)
            }
        }
        if let acme = settings.acme, let problem = ACMEManager.directoryProblem(acme) { problems.append(problem) }
        if let path = settings.apiKeysFile {
            do {
                _ = try APIKeys.load(path)
            } catch {
                problems.append(error.description)
            }
        }
        if let webroot = settings.acmeWebroot {
            if FileSystem.kind(webroot) != .directory || !FileSystem.isAccessible(webroot) {
                problems.append("ACME webroot \(webroot): not a readable directory")
            }
        }
        return problems
    }

    /// An existing store is opened (and closed): that takes its lock and replays it, so damage or a running
    /// server shows. A missing one only needs a parent it can be created in.
    private static func stateProblems(_ directory: String) -> [String] {
        guard FileSystem.kind(directory) != .missing else {
            return writableDirectoryProblem(directory, what: "state directory").map { [$0] } ?? []
        }
        do {
            let store = try StoreLocation.file(directory: directory).open()
            store.close()
            return []
        } catch {
            return [error.description]
        }
    }

    /// nil when `directory` exists and is writable, or can be created: capacityd makes one level (mkdir, not
    /// mkdir -p), so its parent must be a writable directory already, or one made first (`parentMadeFirst`).
    private static func writableDirectoryProblem(_ directory: String, what: String,
                                                 parentMadeFirst: String? = nil) -> String? {
        switch FileSystem.kind(directory) {
        case .missing: break
        case .directory: return FileSystem.isAccessible(directory, write: true) ? nil : "\(what) \(directory): not writable"
        case .regularFile, .other: return "\(what) \(directory): not a directory"
        }
        let trimmed = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let parent = trimmed.lastIndex(of: "/").map { String(trimmed[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        if parent == parentMadeFirst { return nil }
        guard FileSystem.kind(parent) == .directory, FileSystem.isAccessible(parent, write: true) else {
            return "\(what) \(directory): cannot be created, \(parent) is not a writable directory"
        }
        return nil
    }
}
