import Testing
import HTTP1

@Suite("Accept-Encoding")
struct AcceptEncodingTests {
    @Test(arguments: [
        (nil, false), ("", false), ("gzip", true), ("GZIP", true), ("x-gzip", true), ("deflate, gzip", true),
        ("gzip;q=0", false), ("gzip; q=0.001", true), ("gzip;q=0.0", false), ("br;q=1, gzip;q=0.5", true),
        ("*", true), ("*;q=0", false), ("*, gzip;q=0", false), ("identity", false), ("br, deflate", false),
        ("gzip;q=2", false), ("gzip;q=abc", false), ("gzip;level=1", true), (" gzip ; q=1 ", true),
    ] as [(String?, Bool)])
    func gzipIsAllowed(field: String?, allowed: Bool) {
        #expect(AcceptEncoding.allowsGzip(field) == allowed, "\(field ?? "nil")")
    }
}
