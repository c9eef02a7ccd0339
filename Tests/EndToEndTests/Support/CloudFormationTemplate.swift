import Foundation

/// `config/cloudformation/capacityd.yaml` as CloudFormation would read it for one choice of parameters: decoded by
/// cfn-lint's own YAML reader (so `!Ref`, `!Sub`, `!If` arrive as `Ref`, `Fn::Sub`, `Fn::If`) and evaluated by
/// the few intrinsic functions the template uses. What only AWS knows (an RDS endpoint, a custom resource's
/// answer) comes from `attributes`, keyed `Resource.Attribute` as in `!GetAtt`.
struct CloudFormationTemplate {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path + "/config/cloudformation/capacityd.yaml"
    static let venv = URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/.build-venv/bin/"

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let document: [String: Any]
    var parameters: [String: String] = [:]
    var attributes: [String: String] = [:]

    init() throws {
        let (status, output) = try runProcess(Self.venv + "python", ["-c", """
            import json, sys
            from cfnlint.decode import decode
            template, problems = decode(sys.argv[1])
            assert not problems, problems
            print(json.dumps(template))
            """, Self.path])
        guard status == 0, let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            throw Failure(description: "cfn-lint could not read the template: \(output)")
        }
        document = object
        for (name, declaration) in object["Parameters"] as? [String: [String: Any]] ?? [:] {
            if let value = declaration["Default"] { parameters[name] = "\(value)" }
        }
        parameters.merge(["AWS::Region": "eu-west-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012",
                          "AWS::StackName": "capacityd", "AWS::URLSuffix": "amazonaws.com"]) { $1 }
    }

    func resource(_ name: String) throws -> [String: Any] {
        guard let resource = (document["Resources"] as? [String: Any])?[name] as? [String: Any] else {
            throw Failure(description: "no resource \(name)")
        }
        return resource
    }

    func properties(_ name: String) throws -> [String: Any] {
        try resource(name)["Properties"] as? [String: Any] ?? [:]
    }

    /// Whether a resource with `Condition` exists for these parameters.
    func exists(_ name: String) throws -> Bool {
        guard let condition = try resource(name)["Condition"] as? String else { return true }
        return try self.condition(condition)
    }

    func condition(_ name: String) throws -> Bool {
        guard let definition = (document["Conditions"] as? [String: Any])?[name] else {
            throw Failure(description: "no condition \(name)")
        }
        return try truth(definition)
    }

    private func truth(_ expression: Any) throws -> Bool {
        guard let function = expression as? [String: Any], function.count == 1, let (name, argument) = function.first else {
            throw Failure(description: "not a condition: \(expression)")
        }
        let arguments = argument as? [Any] ?? []
        switch name {
        case "Fn::Equals": return try "\(evaluate(arguments[0]) ?? "")" == "\(evaluate(arguments[1]) ?? "")"
        case "Fn::Not": return try !truth(arguments[0])
        case "Fn::And": return try arguments.allSatisfy(truth)
        case "Fn::Or": return try arguments.contains(where: truth)
        case "Condition": return try condition(argument as? String ?? "")
        default: throw Failure(description: "unknown condition function \(name)")
        }
    }

    /// The value CloudFormation would put in place of `value`; nil for `AWS::NoValue` (an absent property or item).
    func evaluate(_ value: Any) throws -> Any? {
        if let list = value as? [Any] { return try list.compactMap(evaluate) }
        guard let object = value as? [String: Any] else { return value }
        if object.count == 1, let (name, argument) = object.first, name == "Ref" || name.hasPrefix("Fn::") {
            switch name {
            case "Ref":
                let reference = argument as? String ?? ""
                if reference == "AWS::NoValue" { return nil }
                if let parameter = parameters[reference] ?? attributes[reference] { return parameter }
                // Another resource's id: a stand-in, unless the test said what it is.
                guard (try? resource(reference)) != nil else { throw Failure(description: "no value for Ref \(reference)") }
                return "<\(reference)>"
            case "Fn::GetAtt":
                let key = (argument as? [Any])?.map { "\($0)" }.joined(separator: ".") ?? "\(argument)"
                if let attribute = attributes[key] { return attribute }
                let resourceName = String(key.prefix { $0 != "." })
                guard (try? resource(resourceName)) != nil else { throw Failure(description: "no value for GetAtt \(key)") }
                return "<\(key)>"
            case "Fn::If":
                let arguments = argument as? [Any] ?? []
                return try evaluate(condition(arguments[0] as? String ?? "") ? arguments[1] : arguments[2])
            case "Fn::Sub":
                let (text, variables): (String, [String: Any]) = if let list = argument as? [Any] {
                    (list[0] as? String ?? "", list[1] as? [String: Any] ?? [:])
                } else {
                    (argument as? String ?? "", [:])
                }
                return try substitute(text, variables)
            case "Fn::Select":
                let arguments = argument as? [Any] ?? []
                let list = try evaluate(arguments[1]) as? [Any] ?? []
                return list[Int("\(arguments[0])") ?? 0]
            default:
                throw Failure(description: "unknown function \(name)")
            }
        }
        var result: [String: Any] = [:]
        for (key, item) in object { result[key] = try evaluate(item) }
        return result
    }

    private func substitute(_ text: String, _ variables: [String: Any]) throws -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            let name = String(rest[start.upperBound..<end])
            let value: Any? = if let local = variables[name] {
                try evaluate(local)
            } else if name.contains(".") {
                try evaluate(["Fn::GetAtt": name])
            } else {
                try evaluate(["Ref": name])
            }
            result += "\(value ?? "")"
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}
