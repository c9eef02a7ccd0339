import Foundation
import Testing

private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

@Suite("Documentation: the option table")
struct DocumentationTests {
    /// docs/configuration.md's table is what the binary's option table prints (scripts/option-docs writes it), and
    /// names exactly the options `serve --help` lists.
    @Test func theConfigurationTableIsTheOptionTable() throws {
        let generated = try runCapacityd(["serve", "--help-markdown"])
        #expect(generated.status == 0)
        let document = try String(contentsOfFile: repositoryRoot + "/docs/configuration.md", encoding: .utf8)
        let begin = try #require(document.range(of: "<!-- options:begin -->\n"))
        let end = try #require(document.range(of: "<!-- options:end -->", range: begin.upperBound..<document.endIndex))
        let table = String(document[begin.upperBound..<end.lowerBound])
        #expect(table == generated.output, "docs/configuration.md's option table is stale: run scripts/option-docs")

        let help = try runCapacityd(["serve", "--help"]).output
        let helpOptions = Set(help.split(separator: "\n").compactMap { line in
            line.firstMatch(of: /^  --([a-z0-9-]+)/).map { String($0.output.1) }
        }).subtracting(["help"])
        let tableOptions = Set(table.split(separator: "\n").compactMap { line in
            line.firstMatch(of: /^\| `--([a-z0-9-]+)/).map { String($0.output.1) }
        })
        #expect(helpOptions.count > 25)
        #expect(tableOptions == helpOptions)
    }
}
