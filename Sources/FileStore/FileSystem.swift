import EventLoop
import Glibc

/// The few file operations the store needs, through the syscall funnel. Paths are always the store's own fixed
/// names inside its directory, never built from request data.
enum FileSystem {
    static func open(_ path: String, flags: Int32, mode: mode_t = 0o600) throws(SystemError) -> FileDescriptor {
        FileDescriptor(try blockingSyscall("open") { Glibc.open(path, flags | O_CLOEXEC, mode) })
    }

    /// The whole file, or nil if it does not exist.
    static func read(_ path: String) throws(SystemError) -> [UInt8]? {
        let file: FileDescriptor
        do {
            file = try open(path, flags: O_RDONLY)
        } catch where error.errno == ENOENT {
            return nil
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try blockingSyscall("read") {
                chunk.withUnsafeMutableBytes { Glibc.read(file.rawValue, $0.baseAddress, $0.count) }
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// Writes all of `bytes` at `offset` (pwrite may write less than asked).
    static func write(_ bytes: [UInt8], to file: FileDescriptor, at offset: Int) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            let written = try blockingSyscall("pwrite") {
                bytes.withUnsafeBytes { pwrite(file.rawValue, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) }
            }
            done += written
        }
    }

    static func fdatasync(_ file: FileDescriptor) throws(SystemError) {
        try blockingSyscall("fdatasync") { Glibc.fdatasync(file.rawValue) }
    }

    static func fsync(_ file: FileDescriptor) throws(SystemError) {
        try blockingSyscall("fsync") { Glibc.fsync(file.rawValue) }
    }

    static func truncate(_ file: FileDescriptor, to length: Int) throws(SystemError) {
        try blockingSyscall("ftruncate") { ftruncate(file.rawValue, off_t(length)) }
    }

    /// Makes a rename or a new file in `directory` durable (a file's fsync does not cover its directory entry).
    static func syncDirectory(_ directory: String) throws(SystemError) {
        let handle = try open(directory, flags: O_RDONLY | O_DIRECTORY)
        try fsync(handle)
    }

    static func rename(_ from: String, to: String) throws(SystemError) {
        try blockingSyscall("rename") { Glibc.rename(from, to) }
    }

    static func removeIfPresent(_ path: String) throws(SystemError) {
        if unlink(path) != 0 && errno != ENOENT { throw SystemError(call: "unlink", errno: errno) }
    }

    static func makeDirectory(_ path: String) throws(SystemError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw SystemError(call: "mkdir(\(path))", errno: errno) }
    }
}
