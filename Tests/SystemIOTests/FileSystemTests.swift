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
}
