import CSystemShims
import Glibc

/// File operations, through the syscall funnel: every caller (the store, the logs, the key file, the import, ACME
/// challenges) gets EINTR retried, short writes completed and failures as a `SystemError` naming the call.
public enum FileSystem {
    public static func open(_ path: String, flags: Int32, mode: mode_t = 0o600) throws(SystemError) -> FileDescriptor {
        FileDescriptor(try blockingSyscall("open") { Glibc.open(path, flags | O_CLOEXEC, mode) })
    }

    /// The whole file, or nil if it does not exist.
    public static func read(_ path: String) throws(SystemError) -> [UInt8]? {
        let file: FileDescriptor
        do {
            file = try open(path, flags: O_RDONLY)
        } catch where error.errno == ENOENT {
            return nil
        }
        return try readAll(file, limit: .max)
    }

    /// At most `maxBytes + 1` bytes of the file at `path` (one more than allowed tells the caller it is too large).
    public static func read(_ path: String, maxBytes: Int) throws(SystemError) -> [UInt8] {
        try readAll(try open(path, flags: O_RDONLY), limit: maxBytes)
    }

    /// A regular file of at most `maxBytes`, or nil if there is none at `path` or it is something else (a
    /// directory, a device, a larger file). With `followSymlinks` false a symlink is refused too (O_NOFOLLOW).
    public static func readRegularFile(_ path: String, maxBytes: Int, followSymlinks: Bool = true) -> [UInt8]? {
        guard let file = try? open(path, flags: O_RDONLY | O_NONBLOCK | (followSymlinks ? 0 : O_NOFOLLOW)) else {
            return nil
        }
        var info = stat()
        guard fstat(file.rawValue, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size <= maxBytes else {
            return nil
        }
        return try? readAll(file, limit: maxBytes)
    }

    /// Reads to the end, or until more than `limit` bytes have come (then the first `limit + 1` are returned, so
    /// the caller can tell "too large").
    private static func readAll(_ file: FileDescriptor, limit: Int) throws(SystemError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count <= limit {
            let count = try blockingSyscall("read") {
                chunk.withUnsafeMutableBytes { Glibc.read(file.rawValue, $0.baseAddress, $0.count) }
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return limit == .max ? bytes : Array(bytes.prefix(limit + 1))
    }

    /// Writes all of `bytes` at `offset` (pwrite may write less than asked).
    public static func write(_ bytes: [UInt8], to file: FileDescriptor, at offset: Int) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            let written = try blockingSyscall("pwrite") {
                bytes.withUnsafeBytes { pwrite(file.rawValue, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) }
            }
            done += written
        }
    }

    /// Writes all of `bytes` to `fd` at its current position (or its end, for O_APPEND): one write(2) when the
    /// kernel takes it all, which is what keeps lines from several threads whole.
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32) throws(SystemError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            done += try blockingSyscall("write") { Glibc.write(fd, base + done, bytes.count - done) }
        }
    }

    public static func writeAll(_ bytes: [UInt8], to fd: Int32) throws(SystemError) {
        let outcome = bytes.withUnsafeBytes { buffer in
            Result { () throws(SystemError) in try writeAll(buffer, to: fd) }
        }
        try outcome.get()
    }

    /// One line on stderr; a failure to say it is not worth failing for.
    public static func printError(_ message: String) {
        var line = Array(message.utf8)
        line.append(10)
        try? writeAll(line, to: 2)
    }

    public static func fdatasync(_ file: FileDescriptor) throws(SystemError) {
        try blockingSyscall("fdatasync") { Glibc.fdatasync(file.rawValue) }
    }

    public static func fsync(_ file: FileDescriptor) throws(SystemError) {
        try blockingSyscall("fsync") { Glibc.fsync(file.rawValue) }
    }

    public static func truncate(_ file: FileDescriptor, to length: Int) throws(SystemError) {
        try blockingSyscall("ftruncate") { ftruncate(file.rawValue, off_t(length)) }
    }

    /// Makes a rename or a new file in `directory` durable (a file's fsync does not cover its directory entry).
    public static func syncDirectory(_ directory: String) throws(SystemError) {
        let handle = try open(directory, flags: O_RDONLY | O_DIRECTORY)
        try fsync(handle)
    }

    public static func rename(_ from: String, to: String) throws(SystemError) {
        try blockingSyscall("rename") { Glibc.rename(from, to) }
    }

    public static func removeIfPresent(_ path: String) throws(SystemError) {
        if unlink(path) != 0 && cs_errno() != ENOENT { throw SystemError(call: "unlink", errno: cs_errno()) }
    }

    /// One level (not `mkdir -p`); an existing directory is fine.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws(SystemError) {
        if mkdir(path, mode) != 0 && cs_errno() != EEXIST { throw SystemError(call: "mkdir(\(path))", errno: cs_errno()) }
    }

    /// For an error making or opening `path`: when it is a denied permission, the one step that fixes it, naming
    /// this process's user and the deepest directory on the way that exists (a host directory mounted into a
    /// container belongs to the host's user, not the image's); nil for any other error.
    public static func permissionFix(for error: SystemError, at path: String) -> String? {
        guard error.errno == EACCES || error.errno == EPERM else { return nil }
        var existing = path
        while existing != "/" && existing != "." && access(existing, F_OK) != 0 { existing = parentDirectory(of: existing) }
        // -R: a directory that an earlier run as another user wrote into holds files of that user too.
        return "capacityd runs as uid \(geteuid()); give it the directory: chown -R \(geteuid()):\(getegid()) \(existing)"
    }

    /// `error` for a message about `path`, with the step that fixes a denied permission when it is one.
    public static func describe(_ error: SystemError, at path: String) -> String {
        permissionFix(for: error, at: path).map { "\(error); \($0)" } ?? error.description
    }

    /// The directory `path` is in: what to sync for `path`'s name to be durable.
    public static func parentDirectory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    /// The names in a directory, without `.` and `..`.
    public static func directoryEntries(_ path: String) throws(SystemError) -> [String] {
        guard let handle = opendir(path) else { throw SystemError(call: "opendir", errno: cs_errno()) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public enum Kind: Equatable, Sendable {
        case missing, directory, regularFile, other
    }

    /// What is at `path` (`lstat` when `followSymlinks` is false).
    public static func kind(_ path: String, followSymlinks: Bool = true) -> Kind {
        var info = stat()
        guard (followSymlinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regularFile
        default: return .other
        }
    }

    /// Whether this process may read (and, with `write`, write) at `path`; for a directory, also enter it.
    public static func isAccessible(_ path: String, write: Bool = false) -> Bool {
        var mode = R_OK
        if write { mode |= W_OK }
        if kind(path) == .directory { mode = (write ? W_OK : R_OK) | X_OK }
        return access(path, mode) == 0
    }

    /// What tells one file at `path` from another that replaced it (device, inode, size, modification time), or
    /// nil if nothing is there.
    public static func identity(_ path: String) -> [Int]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [Int(info.st_dev), Int(info.st_ino), Int(info.st_size), info.st_mtim.tv_sec, info.st_mtim.tv_nsec]
    }

    /// An exclusive lock on `path` (created 0600 if missing) held until the descriptor is closed, or nil when
    /// another process holds it (flock: it also works between hosts on NFSv4 and EFS).
    public static func tryLock(_ path: String) throws(SystemError) -> FileDescriptor? {
        let file = try open(path, flags: O_RDWR | O_CREAT, mode: 0o600)
        do {
            _ = try blockingSyscall("flock") { flock(file.rawValue, LOCK_EX | LOCK_NB) }
            return file
        } catch where error.errno == EWOULDBLOCK {
            file.close()
            return nil
        } catch {
            file.close()
            throw error
        }
    }

    /// Reads at most `count` bytes at `offset` (fewer at the end of the file).
    public static func read(_ file: FileDescriptor, count: Int, at offset: Int) throws(SystemError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = try blockingSyscall("pread") {
                bytes.withUnsafeMutableBytes { pread(file.rawValue, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) }
            }
            if got == 0 { break }
            done += got
        }
        return Array(bytes.prefix(done))
    }

    /// Bytes available to an unprivileged writer on the file system holding `path`, or nil if it cannot be told.
    public static func freeBytes(_ path: String) -> UInt64? {
        var space = statvfs()
        guard statvfs(path, &space) == 0 else { return nil }
        return UInt64(space.f_bavail) * UInt64(space.f_frsize)
    }
}
