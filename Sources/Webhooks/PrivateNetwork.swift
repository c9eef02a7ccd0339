import Glibc

/// The addresses plain `http` may reach: loopback and the private networks (RFC 1918, IPv6 unique local
/// addresses, RFC 4193), where the body and its signature do not cross the internet in clear. Link-local
/// networks (169.254/16, fe80::/10) are left out: they hold cloud metadata services and auto-configured
/// hosts, not receivers.
enum PrivateNetwork {
    /// `address`: 4 or 16 bytes in network order. An IPv4 address mapped into IPv6 counts as itself.
    static func contains(_ address: [UInt8]) -> Bool {
        switch address.count {
        case 4:
            return address[0] == 127 || address[0] == 10 || (address[0] == 172 && address[1] & 0xf0 == 16)
                || (address[0] == 192 && address[1] == 168)
        case 16:
            if address.prefix(10).allSatisfy({ $0 == 0 }) && address[10] == 0xff && address[11] == 0xff {
                return contains(Array(address.suffix(4)))
            }
            return address == [UInt8](repeating: 0, count: 15) + [1] || address[0] & 0xfe == 0xfc
        default:
            return false
        }
    }

    /// The bytes of an IPv4 or IPv6 literal, nil for anything else (a host name).
    static func literal(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: v6) { Array($0) } }
        return nil
    }

    /// An address in its usual text form.
    static func text(_ address: [UInt8]) -> String {
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = address.count == 4 ? AF_INET : AF_INET6
        guard inet_ntop(family, address, &out, socklen_t(out.count)) != nil else { return "an unknown address" }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
