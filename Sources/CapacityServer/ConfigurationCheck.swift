import FileStore
import Glibc
import TLS

/// `capacityd check-config`: everything that would stop `serve` from starting, or make it fail later, found
/// without serving. One line per problem.
public enum ConfigurationCheck {
    public static func problems(_ settings: ServiceSettings) -> [String] {
        var problems: [String] = []
        let server = settings.server
        for address in server.listenAddresses + server.tlsListenAddresses {
            do {
                try address.checkBindable()
            } catch {
                problems.append("listen address \(address): \(error)")
            }
        }
        let stateProblems = stateProblems(settings.stateDirectory)
        problems += stateProblems
        // The default log directory lies inside the state directory, which start-up makes first.
        if let problem = writableDirectoryProblem(settings.logDirectory, what: "log directory",
                                                  parentMadeFirst: stateProblems.isEmpty ? settings.stateDirectory : nil) {
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
        if let path = settings.apiKeysFile {
            do {
                _ = try APIKeys.load(path)
            } catch {
                problems.append(error.description)
            }
        }
        if let webroot = settings.acmeWebroot {
            var info = stat()
            if stat(webroot, &info) != 0 || (info.st_mode & S_IFMT) != S_IFDIR || access(webroot, R_OK | X_OK) != 0 {
                problems.append("ACME webroot \(webroot): not a readable directory")
            }
        }
        return problems
    }

    /// An existing store is opened (and closed): that takes its lock and replays it, so damage or a running
    /// server shows. A missing one only needs a parent it can be created in.
    private static func stateProblems(_ directory: String) -> [String] {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            return writableDirectoryProblem(directory, what: "state directory").map { [$0] } ?? []
        }
        do {
            let store = try FileStore(directory: directory)
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
        var info = stat()
        if stat(directory, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else { return "\(what) \(directory): not a directory" }
            return access(directory, W_OK | X_OK) == 0 ? nil : "\(what) \(directory): not writable"
        }
        let trimmed = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let parent = trimmed.lastIndex(of: "/").map { String(trimmed[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        if parent == parentMadeFirst { return nil }
        guard stat(parent, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, access(parent, W_OK | X_OK) == 0 else {
            return "\(what) \(directory): cannot be created, \(parent) is not a writable directory"
        }
        return nil
    }
}
