import Foundation

/// A throwaway PKI made with the `openssl` command for one test: a root and an intermediate CA with a server
/// certificate for localhost/127.0.0.1, and client certificates like API Gateway's (self-signed, one per stage).
struct TestPKI {
    let directory: String

    struct Pair {
        let certificate: String
        let key: String
    }

    init() throws {
        directory = ServerProcess.temporaryDirectory() + "/pki"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory + "/" + name }

    @discardableResult
    func openssl(_ arguments: [String]) throws -> String {
        let (status, output) = try runProcess("/usr/bin/openssl", arguments)
        guard status == 0 else { throw Failure(description: "openssl \(arguments.joined(separator: " ")): \(output)") }
        return output
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private func newKey(_ name: String, rsa: Bool = false) throws -> String {
        let key = path(name + ".key")
        if rsa {
            try openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key])
        } else {
            try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key])
        }
        return key
    }

    /// A self-signed certificate: a root CA, or a client certificate the way API Gateway makes them.
    func selfSigned(_ name: String, days: Int = 30, isCA: Bool = false) throws -> Pair {
        let key = try newKey(name)
        let certificate = path(name + ".pem")
        var arguments = ["req", "-x509", "-new", "-key", key, "-subj", "/CN=\(name)", "-days", "\(days)", "-out", certificate]
        if isCA { arguments += ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"] }
        try openssl(arguments)
        return Pair(certificate: certificate, key: key)
    }

    /// A certificate signed by `issuer`: an intermediate CA, a server certificate for localhost, or a client one.
    func issue(_ name: String, by issuer: Pair, days: Int = 30, isCA: Bool = false, server: Bool = false,
               rsa: Bool = false, serial: String? = nil) throws -> Pair {
        let key = try newKey(name, rsa: rsa)
        let request = path(name + ".csr")
        try openssl(["req", "-new", "-key", key, "-subj", "/CN=\(name)", "-out", request])
        let extensions = path(name + ".ext")
        var lines = [isCA ? "basicConstraints=critical,CA:TRUE" : "basicConstraints=CA:FALSE"]
        if server { lines += ["subjectAltName=DNS:localhost,IP:127.0.0.1", "extendedKeyUsage=serverAuth"] }
        if !isCA && !server { lines += ["extendedKeyUsage=clientAuth"] }
        try lines.joined(separator: "\n").write(toFile: extensions, atomically: true, encoding: .utf8)
        let certificate = path(name + ".pem")
        var arguments = ["x509", "-req", "-in", request, "-CA", issuer.certificate, "-CAkey", issuer.key,
                         "-days", "\(days)", "-extfile", extensions, "-out", certificate]
        if let serial { arguments += ["-set_serial", serial] } else { arguments += ["-CAcreateserial"] }
        try openssl(arguments)
        return Pair(certificate: certificate, key: key)
    }

    /// A server certificate for the DNS names `dnsNames` (subjectAltName), signed by `issuer`, its subject
    /// `CN=name`; with no names, no subjectAltName at all (a server then goes by the CN). The key file is
    /// `name.key`, the certificate `name.pem`.
    func serverCertificate(_ name: String, dnsNames: [String], by issuer: Pair, days: Int = 30) throws -> Pair {
        let key = try newKey(name)
        let request = path(name + ".csr")
        try openssl(["req", "-new", "-key", key, "-subj", "/CN=\(name)", "-out", request])
        let extensions = path(name + ".ext")
        var lines = ["basicConstraints=CA:FALSE", "extendedKeyUsage=serverAuth"]
        if !dnsNames.isEmpty { lines.append("subjectAltName=" + dnsNames.map { "DNS:" + $0 }.joined(separator: ",")) }
        try lines.joined(separator: "\n").write(toFile: extensions, atomically: true, encoding: .utf8)
        let certificate = path(name + ".pem")
        try openssl(["x509", "-req", "-in", request, "-CA", issuer.certificate, "-CAkey", issuer.key, "-days", "\(days)",
                     "-extfile", extensions, "-CAcreateserial", "-out", certificate])
        return Pair(certificate: certificate, key: key)
    }

    /// A self-signed certificate whose validity ended in 2021: `openssl ca` is the one 3.0 tool that sets dates.
    func expiredSelfSigned(_ name: String) throws -> Pair {
        let key = try newKey(name)
        let request = path(name + ".csr")
        try openssl(["req", "-new", "-key", key, "-subj", "/CN=\(name)", "-out", request])
        let database = path(name + ".ca")
        try FileManager.default.createDirectory(atPath: database, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: database + "/index.txt", contents: nil)
        try "01\n".write(toFile: database + "/serial", atomically: true, encoding: .utf8)
        let config = """
            [ca]
            default_ca = test
            [test]
            database = \(database)/index.txt
            new_certs_dir = \(database)
            serial = \(database)/serial
            default_md = sha256
            policy = any
            [any]
            commonName = supplied
            """
        try config.write(toFile: database + "/ca.cnf", atomically: true, encoding: .utf8)
        let certificate = path(name + ".pem")
        try openssl(["ca", "-batch", "-config", database + "/ca.cnf", "-selfsign", "-keyfile", key, "-in", request,
                     "-startdate", "20200101000000Z", "-enddate", "20210101000000Z", "-notext", "-out", certificate])
        return Pair(certificate: certificate, key: key)
    }

    /// Concatenates PEM files (a chain, or a trust file of several certificates).
    func bundle(_ name: String, _ files: [String]) throws -> String {
        let text = try files.map { try String(contentsOfFile: $0, encoding: .utf8) }.joined()
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// The usual server set-up: root → intermediate → localhost, with the chain file the server is given.
    func serverChain(serial: String? = nil, name: String = "server") throws -> (root: Pair, chain: String, key: String) {
        let root = try selfSigned(name + "-root", isCA: true)
        let intermediate = try issue(name + "-intermediate", by: root, isCA: true)
        let leaf = try issue(name, by: intermediate, server: true, serial: serial)
        return (root, try bundle(name + "-chain.pem", [leaf.certificate, intermediate.certificate]), leaf.key)
    }
}
