import Foundation

/// What curl received: status, headers (names lower-cased; the last of a repeated name) and body.
struct CurlResponse {
    var status: Int
    var headers: [String: String]
    var body: String

    /// The body as a JSON object (nil when it is not one).
    var json: [String: Any]? { jsonObject(body) }

    var message: String? { json?["message"] as? String }
}

/// The real curl, as operators use it. `arguments` are extra curl options placed before the URL.
func curl(_ url: String, _ arguments: [String] = []) throws -> CurlResponse {
    let directory = NSTemporaryDirectory() + "curl-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = ["-sS", "--max-time", "20", "-D", directory + "/headers", "-o", directory + "/body",
                         "-w", "%{http_code}"] + arguments + [url]
    let pipe = Pipe()
    process.standardOutput = pipe
    try spawning { try process.run() }
    let written = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let headerText = (try? String(contentsOfFile: directory + "/headers", encoding: .utf8)) ?? ""
    var headers: [String: String] = [:]
    // With a 100 Continue first, the file holds two blocks: keep the final response's.
    let blocks = headerText.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }
    for line in (blocks.last ?? "").components(separatedBy: "\r\n").dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    let body = (try? String(contentsOfFile: directory + "/body", encoding: .utf8)) ?? ""
    return CurlResponse(status: Int(String(decoding: written, as: UTF8.self)) ?? 0, headers: headers, body: body)
}

/// `PATCH` with a JSON body, the way AWS and operators send it.
func patch(_ url: String, _ body: String, contentType: String = "application/json") throws -> CurlResponse {
    try curl(url, ["-X", "PATCH", "-H", "Content-Type: \(contentType)", "--data-binary", body])
}

/// A response body as a JSON object, or nil if it is not one.
func jsonObject(_ body: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
}
