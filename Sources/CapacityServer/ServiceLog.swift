import Synchronization
import SystemIO

/// How much capacityd says: on stderr, its own messages at or above the level; in the access log (stdout), every
/// request at `debug` and `info`, only 4xx and 5xx answers at `warning`, only 5xx at `error`.
public enum LogLevel: String, Sendable, CaseIterable, Comparable {
    case debug, info, warning, error

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The smallest status the access log records at this level.
    var minimumLoggedStatus: Int {
        switch self {
        case .debug, .info: 0
        case .warning: 400
        case .error: 500
        }
    }
}

enum ServiceLog {
    private static let threshold = Atomic<Int>(1)

    static func configure(_ level: LogLevel) {
        threshold.store(LogLevel.allCases.firstIndex(of: level)!, ordering: .relaxed)
    }

    /// One line on stderr, written with one write(2) so lines from several threads never interleave.
    static func write(_ level: LogLevel, _ message: String) {
        guard LogLevel.allCases.firstIndex(of: level)! >= threshold.load(ordering: .relaxed) else { return }
        always(message)
    }

    /// The start-up line (addresses, mode, directories) is printed at every level: it is how an operator, and a
    /// script that started the server on port 0, learn where it listens.
    static func always(_ message: String) {
        FileSystem.printError(message)
    }
}
