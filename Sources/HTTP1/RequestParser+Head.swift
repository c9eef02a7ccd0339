import Bytes
extension RequestParser {
    /// Parses and validates a complete head: the request line (RFC 9112 §3), the field lines (§5) and the
    /// framing they declare (§6.3).
    static func parseHead(_ buffer: UnsafeBufferPointer<UInt8>, scan: HeadScan, headEnd: Int,
                          limits: ParserLimits) -> Result<RequestHead, HTTPParseError> {
        guard let requestLineEnd = scan.startLineEnd else { return .failure(.badRequest("missing request line")) }
        let line = UnsafeBufferPointer(rebasing: buffer[scan.headStart..<requestLineEnd])

        // method SP request-target SP HTTP-version, with exactly one space between (RFC 9112 §3).
        guard let firstSpace = line.firstIndex(of: ASCII.space), firstSpace > 0 else {
            return .failure(.badRequest("malformed request line"))
        }
        let methodBytes = UnsafeBufferPointer(rebasing: line[..<firstSpace])
        guard methodBytes.allSatisfy(ASCII.isToken) else { return .failure(.badRequest("invalid method")) }
        let afterMethod = firstSpace + 1
        guard let secondSpace = ByteSearch.firstIndex(of: ASCII.space, in: line, afterMethod..<line.count),
              secondSpace > afterMethod else {
            return .failure(.badRequest("malformed request line"))
        }
        let targetBytes = UnsafeBufferPointer(rebasing: line[afterMethod..<secondSpace])
        guard ASCII.areTargetBytes(targetBytes) else {
            return .failure(.badRequest("invalid character in request target"))
        }
        let version: HTTPVersion
        switch parseVersion(UnsafeBufferPointer(rebasing: line[(secondSpace + 1)...])) {
        case .failure(let error): return .failure(error)
        case .success(let parsed): version = parsed
        }
        let method = HTTPMethod(token: methodBytes)
        guard isValidTarget(targetBytes, method: method) else { return .failure(.badRequest("invalid request target")) }
        let pathBounds = RequestHead.pathBounds(of: targetBytes)

        // One copy from the target to the end of the last field line, where the head's target and fields are read
        // (with no fields, `fieldsEnd` is the request line's CRLF's end, and the fields start there too).
        let targetStart = scan.headStart + afterMethod
        let fieldsEnd = headEnd - 2
        let storage = Array(buffer[targetStart..<fieldsEnd])
        let headers: HTTPHeaders
        switch FieldSyntax.headers(storage, from: requestLineEnd + 2 - targetStart) {
        case .failure(let error): return .failure(error)
        case .success(let parsed): headers = parsed
        }
        return semantics(method: method, targetLength: targetBytes.count, pathBounds: pathBounds, version: version,
                         headers: headers, limits: limits)
    }

    private static func parseVersion(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<HTTPVersion, HTTPParseError> {
        if ASCII.equal(bytes, "HTTP/1.1") { return .success(.http1_1) }
        if ASCII.equal(bytes, "HTTP/1.0") { return .success(.http1_0) }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        if bytes.count == 8, bytes.starts(with: "HTTP/".utf8), isDigit(bytes[5]), bytes[6] == UInt8(ascii: "."),
           isDigit(bytes[7]) {
            return .failure(.versionNotSupported)
        }
        return .failure(.badRequest("malformed HTTP version"))
    }

    /// origin-form, absolute-form with an http(s) scheme, or "*" for OPTIONS (RFC 9112 §3.2).
    private static func isValidTarget(_ target: UnsafeBufferPointer<UInt8>, method: HTTPMethod) -> Bool {
        if target.first == UInt8(ascii: "/") { return true }
        if target.count == 1 && target[0] == UInt8(ascii: "*") { return method == .options }
        func startsWith(_ scheme: StaticString) -> Bool {
            target.count >= scheme.utf8CodeUnitCount
                && ASCII.equalsLowercase(UnsafeBufferPointer(rebasing: target[..<scheme.utf8CodeUnitCount]), scheme)
        }
        return startsWith("http://") || startsWith("https://")
    }

    /// The rules that tie fields to framing and connection management (RFC 9112 §§3.2, 6.1, 6.3, 9.3).
    private static func semantics(method: HTTPMethod, targetLength: Int, pathBounds: Range<Int>?, version: HTTPVersion,
                                  headers: HTTPHeaders, limits: ParserLimits) -> Result<RequestHead, HTTPParseError> {
        var hostCount = 0
        var contentLengths: [Range<Int>] = []
        var transferEncodings: [Range<Int>] = []
        var close = false
        var keepAliveToken = false
        var expectsContinue = false
        var refusal: HTTPParseError?
        headers.forEachField { storage, nameRange, valueRange in
            let name = UnsafeBufferPointer(rebasing: storage[nameRange])
            let value = UnsafeBufferPointer(rebasing: storage[valueRange])
            // By length first: most fields are none of these, and are passed over in one comparison.
            switch name.count {
            case 4 where ASCII.equalsLowercase(name, "host"):
                hostCount += 1
                if !value.allSatisfy(isHostByte) { refusal = .badRequest("invalid Host") }
            case 14 where ASCII.equalsLowercase(name, "content-length"):
                contentLengths.append(valueRange)
            case 17 where ASCII.equalsLowercase(name, "transfer-encoding"):
                transferEncodings.append(valueRange)
            case 10 where ASCII.equalsLowercase(name, "connection"):
                let options = FieldSyntax.connectionOptions(value)
                close = close || options.close
                keepAliveToken = keepAliveToken || options.keepAlive
            case 6 where ASCII.equalsLowercase(name, "expect"):
                if ASCII.equalsIgnoringCase(value, "100-continue".utf8) {
                    expectsContinue = version == .http1_1
                } else {
                    refusal = .expectationFailed
                }
            default:
                break
            }
            return refusal == nil
        }
        if let refusal { return .failure(refusal) }
        // RFC 9112 §3.2: a 1.1 request without exactly one Host, or with more than one in any version, is a 400.
        if hostCount > 1 || (version == .http1_1 && hostCount == 0) {
            return .failure(.badRequest(hostCount == 0 ? "missing Host header" : "more than one Host header"))
        }

        var framing = BodyFraming.none
        if !transferEncodings.isEmpty {
            // RFC 9112 §6.1 and §6.3: both framings at once, or chunked not the one and only coding, is how
            // requests are smuggled; HTTP/1.0 has no chunked coding at all.
            guard contentLengths.isEmpty else { return .failure(.badRequest("both Content-Length and Transfer-Encoding")) }
            guard version == .http1_1 else { return .failure(.badRequest("Transfer-Encoding in an HTTP/1.0 request")) }
            guard transferEncodings.count == 1, ASCII.equalsIgnoringCase(headers.storage[transferEncodings[0]], "chunked".utf8)
            else { return .failure(.badRequest("Transfer-Encoding other than chunked")) }
            framing = .chunked
        } else if !contentLengths.isEmpty {
            guard contentLengths.count == 1 else { return .failure(.badRequest("more than one Content-Length")) }
            switch FieldSyntax.contentLength(headers.storage[contentLengths[0]], limit: limits.maxBodyBytes) {
            case .failure(let error): return .failure(error)
            case .success(let length): framing = length > 0 ? .length(length) : .none
            }
        }
        let keepAlive = version == .http1_1 ? !close : keepAliveToken && !close
        return .success(RequestHead(method: method, targetLength: targetLength, version: version, headers: headers,
                                    framing: framing, keepAlive: keepAlive, expectsContinue: expectsContinue,
                                    pathBounds: pathBounds))
    }

    /// uri-host [":" port]: reg-name, IPv4 or a bracketed IP literal (RFC 3986 §3.2.2).
    private static func isHostByte(_ byte: UInt8) -> Bool { hostByteTable[Int(byte)] }

    private static let hostByteTable: [Bool] = (0..<256).map { value in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("-._~!$&'()*+,;=:[]%".utf8).contains(byte)
        }
    }
}
