import CSystemShims
import Glibc

/// A failed system call: which call, and errno.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    public let call: String
    public let errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// What errno says, in words (`No such file or directory`).
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String { "\(call): \(reason) (errno \(errno))" }
}

/// The result of a call on a non-blocking descriptor: a value, or "try again when the descriptor is ready".
public enum IOResult<Value> {
    case done(Value)
    case wouldBlock
}

/// The one funnel for system calls: retries EINTR, turns EAGAIN into `.wouldBlock`, and throws every other
/// failure as a `SystemError` carrying the call's name. Nothing else in the server interprets errno.
@inline(__always)
public func syscall<T: FixedWidthInteger>(_ name: StaticString, _ body: () -> T) throws(SystemError) -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .done(result) }
        let error = cs_errno()
        if error == EINTR { continue }
        if error == EAGAIN || error == EWOULDBLOCK { return .wouldBlock }
        throw SystemError(call: "\(name)", errno: error)
    }
}

/// `syscall` for calls on blocking descriptors, where "would block" cannot happen.
@inline(__always)
@discardableResult
public func blockingSyscall<T: FixedWidthInteger>(_ name: StaticString, _ body: () -> T) throws(SystemError) -> T {
    switch try syscall(name, body) {
    case .done(let value): return value
    case .wouldBlock: throw SystemError(call: "\(name)", errno: EAGAIN)
    }
}
