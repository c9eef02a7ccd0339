import Glibc

/// The one owner of a file descriptor: it closes it exactly once, explicitly or when the owner goes away, so no
/// path (early return, thrown error) leaks one or closes a number that was since reused.
public final class FileDescriptor: @unchecked Sendable {
    public private(set) var rawValue: Int32

    public init(_ rawValue: Int32) {
        self.rawValue = rawValue
    }

    public var isOpen: Bool { rawValue >= 0 }

    public func close() {
        guard rawValue >= 0 else { return }
        // close(2) is not retried on EINTR: on Linux the descriptor is gone either way.
        _ = Glibc.close(rawValue)
        rawValue = -1
    }

    deinit { close() }
}
