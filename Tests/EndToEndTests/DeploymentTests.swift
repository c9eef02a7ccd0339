import Foundation
import Testing

private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

@Suite("Deployment: Dockerfile, systemd unit, smoke script")
struct DeploymentTests {
    @Test func hadolintFindsNothing() throws {
        let (status, output) = try runProcess(repositoryRoot + "/.build-venv/bin/hadolint",
                                              ["--no-color", repositoryRoot + "/Dockerfile"])
        #expect(status == 0, "\(output)")
    }

    /// The runtime stage installs a package for every library the binary links (there is no Docker engine here
    /// to build the image, so this checks the list against `ldd` and `dpkg -S`). The Swift runtime libraries are
    /// left out: the image links them statically (`--static-swift-stdlib`).
    @Test func theRuntimeImageHasEveryLibraryTheBinaryLinks() throws {
        let dockerfile = try String(contentsOfFile: repositoryRoot + "/Dockerfile", encoding: .utf8)
        let runtimeStage = try #require(dockerfile.components(separatedBy: "FROM debian:bookworm-slim").last)
        let installLine = runtimeStage.components(separatedBy: "apt-get install").dropFirst().first ?? ""
        let named = Set(installLine.components(separatedBy: "&&")[0].split(whereSeparator: { " \\\n".contains($0) })
            .map(String.init))
        // apt installs what a named package depends on too (libpq5 brings Kerberos and LDAP).
        let installed = try dependencyClosure(named)
        // What debian:bookworm-slim already has (apt itself needs the C++ runtime).
        let base: Set<String> = ["libc6", "libgcc-s1", "libstdc++6"]
        let libraries = try runProcess("/usr/bin/ldd", [ServerProcess.binary]).output.split(separator: "\n")
            .compactMap { line -> String? in
                let parts = line.split(separator: " ")
                guard let arrow = parts.firstIndex(of: "=>"), arrow + 1 < parts.count else { return nil }
                return String(parts[arrow + 1])
            }
            .filter { !$0.contains("/swift/") }
        #expect(libraries.contains { $0.contains("libssl") } && libraries.contains { $0.contains("libz") })
        // libpq is loaded at run time (dlopen, only with --database-url), so ldd does not list it: the image must
        // still install it, and the binary must not link it (its twenty libraries would load at every start).
        #expect(named.contains("libpq5"))
        #expect(!libraries.contains { $0.contains("libpq") })
        for library in libraries {
            let resolved = URL(fileURLWithPath: library).resolvingSymlinksInPath().path
            let candidates = [library, resolved, resolved.replacingOccurrences(of: "/usr/lib/", with: "/lib/")]
            let owner = try candidates.lazy.compactMap { path -> String? in
                let (status, output) = try runProcess("/usr/bin/dpkg", ["-S", path])
                guard status == 0 else { return nil }
                return output.split(separator: ":").first.map(String.init)
            }.first
            let package = try #require(owner, "no Debian package owns \(library)")
            #expect(base.contains(package) || installed.contains(package), "\(library) comes from \(package), which the image does not install")
        }
    }

    /// `packages` and every package they depend on (first alternatives), as this Debian's dpkg records them.
    private func dependencyClosure(_ packages: Set<String>) throws -> Set<String> {
        var seen = packages
        var queue = Array(packages)
        while let package = queue.popLast() {
            let (status, output) = try runProcess("/usr/bin/dpkg-query", ["-W", "-f=${Depends}, ${Pre-Depends}", package])
            guard status == 0 else { continue }
            for dependency in output.split(separator: ",") {
                guard let first = dependency.split(separator: "|").first?.split(separator: " ").first else { continue }
                let name = String(first.split(separator: ":")[0])
                if seen.insert(name).inserted { queue.append(name) }
            }
        }
        return seen
    }

    @Test func theSystemdUnitVerifies() throws {
        let unit = try String(contentsOfFile: repositoryRoot + "/config/capacityd.service", encoding: .utf8)
        // verify checks that ExecStart exists: point it at the binary these tests built.
        let directory = ServerProcess.temporaryDirectory()
        let copy = directory + "/capacityd.service"
        try unit.replacingOccurrences(of: "/usr/local/bin/capacityd", with: ServerProcess.binary)
            .write(toFile: copy, atomically: true, encoding: .utf8)
        let (status, output) = try runProcess("/usr/bin/systemd-analyze", ["verify", copy])
        #expect(status == 0, "\(output)")
        #expect(!output.contains("Unknown") && !output.contains("Failed"), "\(output)")
        let security = try runProcess("/usr/bin/systemd-analyze", ["security", "--offline=yes", copy]).output
        let score = security.firstMatch(of: /Overall exposure level for .*: ([0-9.]+)/).flatMap { Double($0.output.1) }
        #expect((score ?? 10) < 3, "\(security.suffix(300))")
    }

    @Test(arguments: ["demo", "step", "demo-failure", "production"])
    func smokePassesAgainstEachMode(mode: String) throws {
        let server = try ServerProcess(["--mode", mode, "--no-access-log"])
        let (status, output) = try runProcess(repositoryRoot + "/scripts/smoke", [server.baseURL])
        #expect(status == 0, "\(output)")
        #expect(output.contains("PASS  GET /time") && !output.contains("FAIL"))
        #expect(output.contains("SKIP") == (mode == "production"), "\(output)")
        server.stop()
    }

    @Test func smokeFailsWhenNothingAnswers() throws {
        let server = try ServerProcess()
        let port = server.port
        server.stop()
        let (status, output) = try runProcess(repositoryRoot + "/scripts/smoke", ["http://127.0.0.1:\(port)"])
        #expect(status == 1)
        #expect(output.contains("FAIL  GET /time"))
    }
}
