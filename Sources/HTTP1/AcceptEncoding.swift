/// `Accept-Encoding` (RFC 9110 §12.5.3): whether a response may be sent gzip-compressed. gzip (or its alias
/// x-gzip) must be acceptable with a q-value above 0, named or through `*`; an explicit `gzip;q=0` forbids it
/// whatever `*` says. No header means "anything", but a server should not compress unasked, so that is "no".
public enum AcceptEncoding {
    public static func allowsGzip(_ field: String?) -> Bool {
        guard let field else { return false }
        var gzip: Double?
        var wildcard: Double?
        for member in field.split(separator: ",") {
            let parts = member.split(separator: ";")
            guard let name = parts.first.map({ $0.filter { $0 != " " && $0 != "\t" }.lowercased() }), !name.isEmpty
            else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.filter { $0 != " " && $0 != "\t" }.lowercased()
                if pair.hasPrefix("q="), let value = Double(pair.dropFirst(2)), (0...1).contains(value) {
                    quality = value
                } else if pair.hasPrefix("q=") {
                    quality = 0  // a malformed weight is not consent
                }
            }
            switch name {
            case "gzip", "x-gzip": gzip = max(gzip ?? 0, quality)
            case "*": wildcard = quality
            default: break
            }
        }
        if let gzip { return gzip > 0 }
        return (wildcard ?? 0) > 0
    }
}
