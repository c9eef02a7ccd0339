import Foundation

/// Polls `condition` every `interval` seconds until it holds or `timeout` seconds have passed; returns whether it
/// held. Deadlines are generous on purpose: the suite also runs under ThreadSanitizer and AddressSanitizer, several
/// times slower, and a condition that holds returns at once.
@discardableResult
func waitFor(timeout: TimeInterval, interval: TimeInterval = 0.05, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        usleep(useconds_t(interval * 1_000_000))
    }
}

extension String {
    /// How many lines contain `text`.
    func lines(containing text: String) -> [Substring] {
        split(separator: "\n").filter { $0.contains(text) }
    }
}
