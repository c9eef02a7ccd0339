import Foundation
import Testing

/// schemathesis and openapi-spec-validator live in the virtualenv `scripts/test` makes (PyPI packages).
private let venv = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path + "/.build-venv/bin/"
/// What schemathesis' checks expect of this API beyond their defaults.
private let configuration = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/schemathesis.toml"

@Suite("OpenAPI document, checked by openapi-spec-validator and schemathesis")
struct OpenAPITests {
    @Test(arguments: ["demo", "demo-failure", "step", "production"])
    func theDocumentIsValidAndTheServerKeepsIt(mode: String) throws {
        let server = try ServerProcess(["--mode", mode, "--no-access-log"])
        let document = try curl(server.baseURL + "/openapi.json")
        #expect(document.status == 200)
        let path = server.directory + "/openapi.json"
        try document.body.write(toFile: path, atomically: true, encoding: .utf8)
        // Duplicate keys would be silently merged by most readers: refuse them.
        let duplicates = try runProcess("/usr/bin/python3", ["-c", """
            import json, sys
            def check(pairs):
                keys = [k for k, _ in pairs]
                assert len(keys) == len(set(keys)), keys
                return dict(pairs)
            json.load(open(sys.argv[1]), object_pairs_hook=check)
            """, path])
        #expect(duplicates.status == 0, "\(duplicates.output)")
        let validator = try runProcess(venv + "openapi-spec-validator", [path])
        #expect(validator.status == 0 && validator.output.contains("OK"), "\(validator.output)")

        // No 5xx, every status, content type and body as documented, 405 for undeclared methods.
        let run = try runProcess(venv + "schemathesis", [
            "--config-file", configuration, "run", server.baseURL + "/openapi.json", "-n", "30", "--seed", "1", "--no-color",
        ], directory: server.directory)  // it keeps its caches in the working directory
        #expect(run.status == 0, "\(run.output.suffix(3000))")
        #expect(server.stop() == 0)
    }
}
