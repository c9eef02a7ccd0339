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

    @Test func makeDirectorySaysWhetherItMadeOne() throws {
        let path = "/tmp/capacityd-mkdir-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { rmdir(path) }
        #expect(try FileSystem.makeDirectory(path) == true)
        #expect(try FileSystem.makeDirectory(path) == false)
    }
}
