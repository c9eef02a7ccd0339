import COpenSSLShims

/// An ECDSA P-256 key: the ACME account's (it signs every request as ES256, RFC 7518 §3.4) and each ordered
/// certificate's (it signs the CSR). Generated and kept as PEM by OpenSSL's libcrypto.
public final class ECKey: @unchecked Sendable {
    let key: OpaquePointer

    private init(_ key: OpaquePointer) {
        self.key = key
    }

    deinit {
        EVP_PKEY_free(key)
    }

    public static func generate() throws(CryptoError) -> ECKey {
        OpenSSLErrors.clear()
        guard let key = cos_ec_p256_generate() else { throw CryptoError.drained("cannot generate a P-256 key") }
        return ECKey(key)
    }

    /// A PEM private key, which must be a P-256 key.
    public init(pem: [UInt8]) throws(CryptoError) {
        OpenSSLErrors.clear()
        let parsed: OpaquePointer? = pem.withUnsafeBytes { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, refusePassphrase, nil)
        }
        guard let parsed else { throw CryptoError.drained("not a PEM private key") }
        key = parsed
        // The JWK says "P-256": secp256k1 or a Brainpool curve of the same size must not pass for it.
        var group = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_is_a(key, "EC") == 1, EVP_PKEY_get_group_name(key, &group, group.count, &length) == 1,
              String(decoding: group.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) == "prime256v1" else {
            throw CryptoError("not a P-256 key")
        }
    }

    /// PKCS #8 PEM, unencrypted (the file that holds it is mode 0600).
    public func pem() throws(CryptoError) -> [UInt8] {
        OpenSSLErrors.clear()
        guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError.drained("cannot write the key") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1 else { throw CryptoError.drained("cannot write the key") }
        var data: UnsafeMutablePointer<CChar>?
        let length = cos_bio_get_mem_data(bio, &data)
        guard let data, length > 0 else { throw CryptoError("cannot write the key") }
        return Array(UnsafeRawBufferPointer(start: data, count: length))
    }

    /// The public point's coordinates, 32 bytes each: the JWK's `x` and `y` (RFC 7518 §6.2.1).
    public var publicCoordinates: (x: [UInt8], y: [UInt8]) {
        (coordinate(OSSL_PKEY_PARAM_EC_PUB_X), coordinate(OSSL_PKEY_PARAM_EC_PUB_Y))
    }

    private func coordinate(_ name: String) -> [UInt8] {
        var number: OpaquePointer?
        guard EVP_PKEY_get_bn_param(key, name, &number) == 1, let number else { return [] }
        defer { BN_free(number) }
        var bytes = [UInt8](repeating: 0, count: 32)
        _ = BN_bn2binpad(number, &bytes, 32)
        return bytes
    }

    /// ES256: ECDSA over SHA-256, as JWS wants it, the 32-byte r and s side by side (not DER).
    public func signES256(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        OpenSSLErrors.clear()
        guard let context = EVP_MD_CTX_new() else { throw CryptoError.drained("cannot sign") }
        defer { EVP_MD_CTX_free(context) }
        var der = [UInt8](repeating: 0, count: 80)
        var length = der.count
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1,
              EVP_DigestSign(context, &der, &length, message, message.count) == 1 else {
            throw CryptoError.drained("cannot sign")
        }
        let signature: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, length)
        }
        guard let signature else { throw CryptoError.drained("cannot decode the signature") }
        defer { ECDSA_SIG_free(signature) }
        var raw = [UInt8](repeating: 0, count: 64)
        raw.withUnsafeMutableBufferPointer { buffer in
            _ = BN_bn2binpad(ECDSA_SIG_get0_r(signature), buffer.baseAddress, 32)
            _ = BN_bn2binpad(ECDSA_SIG_get0_s(signature), buffer.baseAddress! + 32, 32)
        }
        return raw
    }

    /// A DER certificate signing request for `names` (RFC 2986), signed by this key: the names in its
    /// subjectAltName, the first also as the subject's common name (when it fits the 64-character limit).
    public func certificateRequest(names: [String]) throws(CryptoError) -> [UInt8] {
        OpenSSLErrors.clear()
        guard let request = X509_REQ_new() else { throw CryptoError.drained("cannot make a CSR") }
        defer { X509_REQ_free(request) }
        guard let subject = X509_NAME_new() else { throw CryptoError.drained("cannot make a CSR") }
        defer { X509_NAME_free(subject) }
        if let first = names.first, first.utf8.count <= 64 {
            _ = X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, first, -1, -1, 0)
        }
        guard let extensions = cos_extensions_new() else { throw CryptoError.drained("cannot make a CSR") }
        defer { cos_extensions_free(extensions) }
        let alternatives = names.map { "DNS:" + $0 }.joined(separator: ",")
        guard let extensionValue = X509V3_EXT_conf_nid(nil, nil, NID_subject_alt_name, alternatives) else {
            throw CryptoError.drained("cannot make the CSR's subjectAltName")
        }
        guard cos_extensions_push(extensions, extensionValue) > 0 else {
            X509_EXTENSION_free(extensionValue)
            throw CryptoError.drained("cannot make a CSR")
        }
        guard X509_REQ_set_version(request, 0) == 1, X509_REQ_set_subject_name(request, subject) == 1,
              X509_REQ_add_extensions(request, extensions) == 1, X509_REQ_set_pubkey(request, key) == 1,
              X509_REQ_sign(request, key, EVP_sha256()) > 0 else {
            throw CryptoError.drained("cannot sign the CSR")
        }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509_REQ(request, &out)
        guard length > 0, let out else { throw CryptoError.drained("cannot encode the CSR") }
        defer { CRYPTO_free(out, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }
}
