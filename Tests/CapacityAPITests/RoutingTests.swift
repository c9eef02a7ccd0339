import Testing

private let dimensions = "/v1/scalableTargetDimensions/"

/// How a request finds its route in the API's table: an unknown path is 404 whatever the method, a known path with
/// another method 405 with `Allow`, and HEAD is answered by every GET route.
@Suite("Routing, in memory")
struct RoutingTests {
    /// Fails if a path no route serves is answered with anything but 404 and a JSON message naming it.
    @Test(arguments: [
        ("GET", "/"), ("GET", "/index.html"), ("GET", "/v1/scalableTargetDimensions"), ("GET", dimensions),
        ("GET", "/v1/other/x"), ("GET", "/time/x"), ("GET", "/etc/passwd"), ("GET", "/../../etc/passwd"),
        ("GET", "/cgi-bin/api.py"), ("GET", dimensions + "a/b"), ("POST", "/nowhere"), ("BREW", "/nowhere"),
        ("GET", "/TIME"), ("GET", "/time/"), ("GET", "/admin/v1/dimensions/a/b"),
    ])
    func anUnknownPathIs404(method: String, target: String) throws {
        let reply = try APIHarness().send(method, target)
        #expect(reply.status == 404, "\(method) \(target) → \(reply.body)")
        #expect(reply.headers["content-type"] == "application/json")
        #expect(reply.message == "No such resource: \(target)")
    }

    /// Fails if a known path answers a method it does not serve with anything but 405, or its `Allow` is not
    /// exactly the methods it serves, HEAD beside GET.
    @Test(arguments: [
        ("POST", "/time", "GET, HEAD"), ("DELETE", "/time", "GET, HEAD"), ("BREW", "/time", "GET, HEAD"),
        ("DELETE", dimensions + "h", "GET, HEAD, PATCH"), ("PUT", dimensions + "h", "GET, HEAD, PATCH"),
        ("POST", dimensions + "h", "GET, HEAD, PATCH"), ("PATCH", "/healthz", "GET, HEAD"),
        ("POST", "/readyz", "GET, HEAD"), ("PUT", "/openapi.json", "GET, HEAD"),
        ("PATCH", "/admin/v1/dimensions", "GET, HEAD"), ("PATCH", "/admin/v1/dimensions/a", "GET, HEAD, POST, PUT, DELETE"),
    ])
    func aKnownPathWithAnotherMethodIs405WithAllow(method: String, target: String, allow: String) throws {
        let reply = try APIHarness().send(method, target, body: method == "GET" ? nil : "x")
        #expect(reply.status == 405, "\(method) \(target) → \(reply.body)")
        #expect(reply.headers["allow"] == allow)
        #expect(reply.message == "Method \(method) is not allowed here")
    }

    /// Fails if a GET route does not answer HEAD as it answers GET: the same status, headers and body (the
    /// connection leaves the body out on the wire).
    @Test(arguments: ["/time", dimensions + "h", "/healthz", "/readyz", "/openapi.json"])
    func headIsAnsweredAsGet(target: String) throws {
        let api = try APIHarness()
        let get = try api.get(target)
        let head = try api.send("HEAD", target)
        #expect(get.status == 200)
        #expect(head.status == get.status && head.headers == get.headers, "\(head.headers) vs \(get.headers)")
        // /time's body holds the second it was asked in.
        if target != "/time" { #expect(head.body == get.body) }
    }
}
