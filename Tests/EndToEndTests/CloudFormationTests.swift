import Foundation
import PostgresTestServer
import Testing

/// `config/cloudformation/capacityd.yaml`, checked without an AWS account: cfn-lint (every resource type's
/// properties and values), the API Gateway body against capacityd's own `/openapi.json`, and the task's
/// environment and start command against `capacityd check-config` with a real PostgreSQL and ACME directory.
@Suite("CloudFormation template")
struct CloudFormationTests {
    @Test func cfnLintFindsNothing() throws {
        let (status, output) = try runProcess(CloudFormationTemplate.venv + "cfn-lint", [CloudFormationTemplate.path])
        #expect(status == 0, "\(output)")
    }

    /// Fails if API Gateway would call a path or method capacityd does not serve, describes a dimension or an
    /// update differently (fields, required ones, types), or could turn a status capacityd answers on those routes
    /// into one the method does not declare, or into another class than AWS's mapping (200, 403, 404 and 429 as
    /// they are, other 4xx as 400, the rest 500).
    @Test func theApiGatewayBodyMatchesCapacitydsOpenAPIDocument() throws {
        var template = try CloudFormationTemplate()
        template.parameters["DomainName"] = "capacityd.example.com"
        template.attributes["VpcLink"] = "vpclink-id"
        let body = try #require(template.evaluate(template.properties("Api")["Body"] as Any) as? [String: Any])
        let server = try ServerProcess(["--mode", "production", "--no-access-log"])
        defer { _ = server.stop() }
        let document = try #require(try JSONSerialization.jsonObject(
            with: Data(curl(server.baseURL + "/openapi.json").body.utf8)) as? [String: Any])
        let served = try #require(document["paths"] as? [String: [String: Any]])

        let paths = try #require(body["paths"] as? [String: [String: Any]])
        #expect(Set(paths.keys) == ["/scalableTargetDimensions/{scalableTargetDimensionId}"])
        for (path, operations) in paths {
            let backendPath = "/v1" + path
            let backend = try #require(served[backendPath], "capacityd serves no \(backendPath)")
            // The whole contract: every method capacityd has there goes through API Gateway, and nothing else.
            #expect(Set(operations.keys) == Set(backend.keys).intersection(["get", "patch", "put", "post", "delete"]))
            for (method, value) in operations {
                let operation = try #require(value as? [String: Any])
                let servedOperation = try #require(backend[method] as? [String: Any])
                let integration = try #require(operation["x-amazon-apigateway-integration"] as? [String: Any])
                #expect(integration["uri"] as? String == "https://capacityd.example.com" + backendPath)
                #expect((integration["httpMethod"] as? String)?.lowercased() == method)
                let parameters = integration["requestParameters"] as? [String: String] ?? [:]
                #expect(parameters["integration.request.path.scalableTargetDimensionId"]
                    == "method.request.path.scalableTargetDimensionId")
                #expect((operation["security"] as? [[String: Any]])?.first?.keys.first == "sigv4")

                let declared = Set((operation["responses"] as? [String: Any] ?? [:]).keys)
                let mapping = try #require(integration["responses"] as? [String: [String: Any]])
                let servedStatuses = (servedOperation["responses"] as? [String: Any] ?? [:]).keys.compactMap { Int($0) }
                #expect(!servedStatuses.isEmpty)
                // Every status capacityd documents there, and every other one HTTP has, maps to one declared status.
                for status in Set(servedStatuses).union(100...599) {
                    let mapped = try Self.mappedStatus(status, mapping)
                    let expected = [200, 403, 404, 429].contains(status) ? "\(status)" : (400...499).contains(status) ? "400" : "500"
                    #expect(mapped == expected, "\(method) \(status) → \(mapped ?? "two patterns")")
                    #expect(mapped.map(declared.contains) == true, "\(method) \(status) → \(mapped ?? "-") is not declared")
                }

                let answer = try #require((operation["responses"] as? [String: [String: Any]])?["200"]?["schema"])
                let servedAnswer = ((servedOperation["responses"] as? [String: [String: Any]])?["200"]?["content"]
                    as? [String: [String: Any]])?["application/json"]?["schema"]
                try Self.expectSameSchema(answer, in: body, servedAnswer as Any, in: document, "\(method) 200")
                if method == "patch" {
                    let update = try #require((operation["parameters"] as? [[String: Any]])?.first { $0["in"] as? String == "body" }?["schema"])
                    let servedUpdate = (((servedOperation["requestBody"] as? [String: Any])?["content"]
                        as? [String: [String: Any]])?["application/json"])?["schema"]
                    try Self.expectSameSchema(update, in: body, servedUpdate as Any, in: document, "patch body")
                }
            }
        }
    }

    /// The status API Gateway answers when capacityd answers `status`: the one selection pattern matching it
    /// entirely (API Gateway's rule for HTTP integrations), else `default`; nil when two patterns match.
    private static func mappedStatus(_ status: Int, _ mapping: [String: [String: Any]]) throws -> String? {
        let matching = try mapping.filter { pattern, _ in
            guard pattern != "default" else { return false }
            let expression = try NSRegularExpression(pattern: "^(?:" + pattern + ")$")
            let text = "\(status)"
            return expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
        guard matching.count <= 1 else { return nil }
        return (matching.first?.value ?? mapping["default"])?["statusCode"] as? String
    }

    /// The same properties with the same types (and enums), and the same required ones, after following `$ref`s.
    private static func expectSameSchema(_ schema: Any, in body: [String: Any], _ served: Any, in document: [String: Any],
                                         _ what: String) throws {
        let mine = try #require(resolve(schema, body), "\(what): no schema in the template")
        let theirs = try #require(resolve(served, document), "\(what): no schema in /openapi.json")
        #expect(Set(mine["required"] as? [String] ?? []) == Set(theirs["required"] as? [String] ?? []), "\(what): required")
        let myProperties = mine["properties"] as? [String: Any] ?? [:]
        let theirProperties = theirs["properties"] as? [String: Any] ?? [:]
        #expect(Set(myProperties.keys) == Set(theirProperties.keys), "\(what): properties")
        for (name, property) in theirProperties {
            let served = try #require(resolve(property, document))
            let declared = try #require(resolve(myProperties[name] as Any, body), "\(what).\(name)")
            #expect(declared["type"] as? String == served["type"] as? String, "\(what).\(name): type")
            #expect(declared["enum"] as? [String] == served["enum"] as? [String], "\(what).\(name): enum")
        }
    }

    /// A schema, or what its `$ref` (`#/definitions/X` or `#/components/schemas/X`) names in `document`.
    private static func resolve(_ schema: Any, _ document: [String: Any]) -> [String: Any]? {
        guard let object = schema as? [String: Any] else { return nil }
        guard let reference = object["$ref"] as? String else { return object }
        var node: Any = document
        for part in reference.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] as Any }
        return resolve(node, document)
    }

    /// The ports the task's environment listens on are the ones it maps, the balancer's target groups forward to
    /// and health-checks, and the container outlives capacityd's drain.
    @Test(arguments: ["acme", "acm"]) func theTaskWiringAgrees(certificateSource: String) throws {
        var template = try CloudFormationTemplate()
        template.parameters["CertificateSource"] = certificateSource
        template.parameters["ImageUri"] = "capacityd:test"
        template.parameters["DomainName"] = "capacityd.example.com"
        let container = try Self.container(template)
        let environment = try Self.environment(container)
        let mapped = Set((container["PortMappings"] as? [[String: Any]] ?? []).compactMap { $0["ContainerPort"] as? Int })
        let listening = ["CAPACITYD_HTTP", "CAPACITYD_HTTPS", "CAPACITYD_METRICS_LISTEN"].compactMap { environment[$0] }
            .compactMap { Int($0.split(separator: ":").last ?? "") }
        #expect(Set(listening).isSubset(of: mapped) && !listening.isEmpty, "\(listening) vs \(mapped)")
        let metricsPort = try #require(environment["CAPACITYD_METRICS_LISTEN"]?.split(separator: ":").last.map(String.init))
        for group in ["HttpTargetGroup", "HttpsTargetGroup"] where try template.exists(group) {
            let properties = try template.properties(group)
            #expect(listening.contains(properties["Port"] as? Int ?? 0), "\(group)")
            #expect(properties["HealthCheckPort"] as? String == metricsPort && properties["HealthCheckPath"] as? String == "/healthz", "\(group)")
        }
        let service = try #require(template.evaluate(template.properties("Service")["LoadBalancers"] as Any) as? [[String: Any]])
        #expect(service.allSatisfy { listening.contains($0["ContainerPort"] as? Int ?? 0) })
        // The shutdown grace may go up to the parameter's maximum; the container must outlive it.
        let grace = try #require((template.document["Parameters"] as? [String: [String: Any]])?["ShutdownGraceSeconds"]?["MaxValue"] as? Int)
        #expect(container["StopTimeout"] as? Int ?? 30 > grace)
        // The balancer's idle timeout outlasts capacityd's, so capacityd closes idle connections first. A TLS
        // listener's is fixed at 350 s and may not be set; a TCP listener's is set.
        let listener = try #require(template.evaluate(template.properties("HttpsListener")) as? [String: Any])
        let balancerIdle = (listener["ListenerAttributes"] as? [[String: String]])?.first { $0["Key"] == "tcp.idle_timeout.seconds" }?["Value"]
        #expect((listener["Protocol"] as? String == "TLS") == (balancerIdle == nil))
        #expect(Int(environment["CAPACITYD_IDLE_TIMEOUT"] ?? "") ?? 0 < Int(balancerIdle ?? "350") ?? 0)
    }

    /// The task's environment and start command, as ECS would run them, give a configuration capacityd accepts:
    /// fails if a variable names an option capacityd lacks, a value it refuses, a certificate it cannot read or a
    /// database URL libpq rejects. What only AWS knows is filled in: the database is a local PostgreSQL over TLS
    /// with a password (like RDS), the ACME directory is pebble, the client certificate one of a test PKI.
    @Test(arguments: ["acme", "acm"]) func theTaskEnvironmentIsAConfigurationCapacitydAccepts(certificateSource: String) throws {
        let pki = try TestPKI()
        let root = try pki.selfSigned("database-root", isCA: true)
        let certificate = try pki.issue("database", by: root, server: true)
        let password = "task-Passw0rd"
        let database = try PostgresTestServer(tls: (certificate.certificate, certificate.key), password: password)
        defer { try? database.stop() }
        let apiGateway = try pki.selfSigned("apigateway-client")
        let pebble = try Pebble(httpPort: freePort(), environment: [:])
        defer { pebble.stop() }

        var template = try CloudFormationTemplate()
        template.parameters.merge(["CertificateSource": certificateSource, "DomainName": "capacityd.example.com",
                                   "DatabaseUser": "postgres", "DatabaseName": "postgres", "DatabasePort": "\(database.port)",
                                   "ImageUri": "capacityd:test"]) { $1 }
        template.attributes = ["Database.Endpoint.Address": "localhost",
                               "ClientCertificatePem.Pem": try String(contentsOfFile: apiGateway.certificate, encoding: .utf8),
                               "DatabaseSecret": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:capacityd-x"]
        let container = try Self.container(template)
        var environment = try Self.environment(container)
        let secrets = try #require(container["Secrets"] as? [[String: Any]])
        #expect(secrets.map { $0["Name"] as? String } == ["PGPASSWORD"])
        #expect((secrets.first?["ValueFrom"] as? String)?.hasSuffix(":password::") == true)

        // Paths of the image and ports of the task, moved where this machine has them.
        let directory = ServerProcess.temporaryDirectory()
        #expect(environment["CAPACITYD_DATABASE_URL"]?.contains("sslmode=verify-full") == true)
        for (name, value) in environment {
            environment[name] = value
                .replacingOccurrences(of: "/usr/local/share/capacityd/database-ca/rds-global-bundle.pem", with: root.certificate)
                .replacing(#/^(/var/lib/capacityd|/tmp)/#, with: directory)
                .replacing(#/^0\.0\.0\.0:[0-9]+$/#, with: "127.0.0.1:\(freePort())")
        }
        environment["PGPASSWORD"] = password
        if certificateSource == "acme" {
            environment["CAPACITYD_ACME_DIRECTORY"] = pebble.directoryURL
            environment["CAPACITYD_ACME_CA_ROOT"] = pebble.listenerRoot
        }
        let command = try #require((container["Command"] as? [String])?.first)
        #expect(container["EntryPoint"] as? [String] == ["/bin/sh", "-c"])
        #expect(command.hasSuffix("exec /usr/local/bin/capacityd serve"))
        let script = command.replacingOccurrences(of: "/tmp/apigateway-client.pem", with: directory + "/apigateway-client.pem")
            .replacingOccurrences(of: "exec /usr/local/bin/capacityd serve", with: "exec \(ServerProcess.binary) check-config")
        let (status, output) = try runProcess("/bin/sh", ["-c", script], environment: environment)
        #expect(status == 0 && output.contains("configuration ok"), "\(output)")
        #expect(!output.contains(password))
        if certificateSource == "acme" {
            let written = try String(contentsOfFile: directory + "/apigateway-client.pem", encoding: .utf8)
            let pem = try String(contentsOfFile: apiGateway.certificate, encoding: .utf8)
            #expect(written.trimmingCharacters(in: .whitespacesAndNewlines) == pem.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// The custom resource's inline function at least parses as the Python 3 the Lambda runtime runs.
    @Test func theClientCertificateFunctionIsPython() throws {
        let template = try CloudFormationTemplate()
        let code = try #require((try template.properties("ClientCertificatePemFunction")["Code"] as? [String: Any])?["ZipFile"] as? String)
        let (status, output) = try runProcess("/usr/bin/python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], input: code)
        #expect(status == 0, "\(output)")
    }

    private static func container(_ template: CloudFormationTemplate) throws -> [String: Any] {
        let properties = try #require(template.evaluate(template.properties("TaskDefinition")) as? [String: Any])
        return try #require((properties["ContainerDefinitions"] as? [[String: Any]])?.first)
    }

    private static func environment(_ container: [String: Any]) throws -> [String: String] {
        let pairs = try #require(container["Environment"] as? [[String: Any]])
        var environment: [String: String] = [:]
        for pair in pairs {
            let name = try #require(pair["Name"] as? String)
            #expect(environment[name] == nil, "\(name) twice")
            environment[name] = "\(pair["Value"] ?? "")"
        }
        return environment
    }
}
