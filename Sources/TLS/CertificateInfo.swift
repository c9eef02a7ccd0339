import COpenSSLShims
import Crypto
import Glibc

/// What an operator needs to know about a certificate: whose it is, when it expires, and how to recognize it
/// (the SHA-256 fingerprint, in the form `openssl x509 -noout -fingerprint -sha256` prints).
public struct CertificateInfo: Sendable, Equatable {
    /// Where it came from: "server certificate" or "trusted client certificate".
    public let role: String
    public let file: String
    /// RFC 2253 form, e.g. `CN=api.example.com,O=Example`.
    public let subject: String
    public let notBeforeEpochSeconds: Int
    public let notAfterEpochSeconds: Int
    public let fingerprint: String
    /// Upper-case hex, as `openssl x509 -noout -serial` prints it.
    public let serial: String
    /// The DNS names it is for, lower-case (subjectAltName, else the common name).
    public let names: [String]

    /// Whole days from `epochSeconds` until expiry; negative once expired.
    public func daysLeft(atEpochSeconds epochSeconds: Int) -> Int {
        let seconds = notAfterEpochSeconds - epochSeconds
        return seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
    }

    init(_ certificate: OpaquePointer, role: String, file: String) {
        self.role = role
        self.file = file
        subject = Self.name(X509_get_subject_name(certificate))
        notBeforeEpochSeconds = Self.epochSeconds(X509_get0_notBefore(certificate))
        notAfterEpochSeconds = Self.epochSeconds(X509_get0_notAfter(certificate))
        fingerprint = Self.fingerprint(certificate)
        serial = Self.serial(certificate)
        names = ServerCertificate.dnsNames(certificate)
    }

    static func name(_ name: OpaquePointer?) -> String {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        X509_NAME_print_ex(bio, name, 0, UInt(cos_xn_flag_rfc2253()))
        var data: UnsafeMutablePointer<CChar>?
        let length = cos_bio_get_mem_data(bio, &data)
        guard let data, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }

    private static func epochSeconds(_ time: UnsafePointer<ASN1_TIME>?) -> Int {
        var parts = tm()
        guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else { return 0 }
        return timegm(&parts)
    }

    static func fingerprint(_ certificate: OpaquePointer) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, EVP_sha256(), &digest, &length) == 1 else { return "" }
        let hex: [Character] = Array("0123456789ABCDEF")
        return digest.prefix(Int(length)).map { String([hex[Int($0 >> 4)], hex[Int($0 & 15)]]) }.joined(separator: ":")
    }

    private static func serial(_ certificate: OpaquePointer) -> String {
        guard let number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nil) else { return "" }
        defer { BN_free(number) }
        guard let hex = BN_bn2hex(number) else { return "" }
        defer { CRYPTO_free(hex, #fileID, #line) }
        return String(cString: hex)
    }

    /// The first certificate of a PEM file, or nil if there is none (or no file).
    public static func first(inPEMFile path: String, role: String) -> CertificateInfo? {
        try? readPEM(path, role: role).first
    }

    /// Every certificate in a PEM file, in order.
    static func readPEM(_ path: String, role: String) throws(TLSError) -> [CertificateInfo] {
        OpenSSLErrors.clear()
        guard let bio = BIO_new_file(path, "r") else { throw TLSError.drained("\(path): cannot open") }
        defer { BIO_free(bio) }
        var infos: [CertificateInfo] = []
        while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) {
            infos.append(CertificateInfo(certificate, role: role, file: path))
            X509_free(certificate)
        }
        OpenSSLErrors.clear()  // the read that found no more certificates queued a "no start line"
        guard !infos.isEmpty else { throw TLSError("\(path): no PEM certificate in it") }
        return infos
    }
}
