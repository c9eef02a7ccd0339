import HTTP1

extension HTTPResponse {
    /// gzip for a JSON or text body of at least `minimumBytes`, when the client accepts it; such responses carry
    /// `Vary: Accept-Encoding` either way (RFC 9110 §12.5.5), so caches keep the two forms apart. Tiny bodies are
    /// sent as they are: compressing them costs more than it saves. `minimumBytes` 0 turns compression off.
    /// In place: most responses are left as they are, and a copy would retain and release each of their arrays.
    mutating func compressIfWorthIt(minimumBytes minimum: Int, requestHeaders: HTTPHeaders?) {
        guard minimum > 0, body.count >= minimum,
              !headers.contains(where: { $0.name.lowercased() == "content-encoding" }),
              let type = headers.first(where: { $0.name.lowercased() == "content-type" })?.value.lowercased(),
              type.hasPrefix("application/json") || type.hasPrefix("text/") else { return }
        headers.append(("Vary", "Accept-Encoding"))
        if AcceptEncoding.allowsGzip(requestHeaders?["accept-encoding"]), let gzipped = Gzip.compress(body),
           gzipped.count < body.count {
            body = gzipped
            headers.append(("Content-Encoding", "gzip"))
        }
    }
}
