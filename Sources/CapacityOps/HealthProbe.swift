/// `capacityd healthcheck`: asks a running server's `/healthz` on the address it listens on, so a container's
/// `HEALTHCHECK` needs no HTTP client in the image and follows the listener the deployment configured.
public enum HealthProbe {
    /// The address to ask, from the server's own listener settings: the metrics listener when there is one (it
    /// serves `/healthz` whatever the API's listeners are), else the first plain-HTTP listener. A wildcard address
    /// is asked on loopback. nil when the server listens on HTTPS only.
    public static func address(http: [String], noHTTP: Bool, metricsListen: String?) -> String? {
        guard let listen = metricsListen ?? (noHTTP ? nil : http.first) else { return nil }
        if listen.hasPrefix("0.0.0.0:") { return "127.0.0.1:" + listen.dropFirst(8) }
        if listen.hasPrefix("[::]:") { return "[::1]:" + listen.dropFirst(5) }
        return listen
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Succeeds when `/healthz` at `address` answers 200 within `timeout` seconds per read or write.
    public static func check(address: String, timeout: Int) throws(Failure) {
        let response: AdminClient.Response
        do {
            response = try AdminClient.request("GET", "/healthz", url: "http://" + address, apiKey: nil, timeout: timeout)
        } catch {
            throw Failure(description: "unhealthy: \(error.description)")
        }
        guard response.status == 200 else {
            throw Failure(description: "unhealthy: http://\(address)/healthz answered \(response.status)")
        }
    }
}
