import Foundation
import FuzzChecks
import Testing

/// Every saved fuzz input (seeds, and any crasher a fuzzer ever found, kept as a regression) goes through its check
/// on every test run, without libFuzzer: a property that breaks stops the test process.
@Suite("Fuzz corpora")
struct FuzzCorpusTests {
    static let corpusRoot = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "../../Fuzz/Corpus").standardized

    static func inputs(_ check: FuzzCheck) throws -> [URL] {
        let folder = corpusRoot.appending(path: check.rawValue)
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: FuzzCheck.allCases)
    func corpusPasses(_ check: FuzzCheck) throws {
        let files = try Self.inputs(check)
        #expect(files.count >= 4, "Fuzz/Corpus/\(check.rawValue) should hold seeds")
        for file in files {
            check.run(Array(try Data(contentsOf: file)))
        }
    }
}
