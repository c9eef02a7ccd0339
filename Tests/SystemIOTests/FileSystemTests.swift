import Glibc
import Testing
import SystemIO

@Suite("File system helpers")
struct FileSystemTests {
    @Test(arguments: [
        ("/var/lib/capacityd", "/var/lib"), ("/var/lib/capacityd/", "/var/lib"), ("/state", "/"), ("state", "."),
        ("state/", "."), ("a/b", "a"), ("./a", "."), ("/", "/"),
    ])
    func parentDirectory(_ row: (path: String, parent: String)) {
        #expect(FileSystem.parentDirectory(of: row.path) == row.parent)
    }

    /// A denied permission names this process's user and the deepest directory on the way that exists; other
    /// errors have no such fix.
    @Test(arguments: [
        (EACCES, "/proc/no-such/state", "/proc"), (EPERM, "/", "/"), (EACCES, "/tmp", "/tmp"),
        (ENOENT, "/tmp/x", nil), (ENOSPC, "/tmp", nil),
    ] as [(Int32, String, String?)])
    func permissionFix(_ row: (errno: Int32, path: String, directory: String?)) {
        let fix = FileSystem.permissionFix(for: SystemError(call: "mkdir", errno: row.errno), at: row.path)
        if let directory = row.directory {
            #expect(fix == "capacityd runs as uid \(geteuid()); give it the directory: chown -R \(geteuid()):\(getegid()) \(directory)")
        } else {
            #expect(fix == nil)
        }
    }
}
