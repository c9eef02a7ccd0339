import CSystemShims
import Glibc
import SystemIO

/// Readiness a selector reports or is asked to watch.
public struct Interest: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let read = Interest(rawValue: 1)
    public static let write = Interest(rawValue: 2)
    /// The connection is gone (EPOLLHUP or EPOLLERR): reported without being asked for. A peer that only shut
    /// down its sending side (EPOLLRDHUP) is reported as `.read` instead, since reading then returns what is
    /// left and end-of-file.
    public static let hangup = Interest(rawValue: 4)
}

/// The seam between the event loop and the OS: a handful of operations, with epoll the production implementation.
/// Each registration carries an id that comes back with its events, so events for a descriptor closed earlier in
/// the same wake-up can be recognised and dropped.
public protocol Selector {
    func register(_ fd: Int32, id: UInt64, interest: Interest) throws(SystemError)
    func reregister(_ fd: Int32, id: UInt64, interest: Interest) throws(SystemError)
    func deregister(_ fd: Int32) throws(SystemError)
    /// Waits up to `timeoutMilliseconds` (-1: forever) and calls `body` for each ready registration.
    func wait(timeoutMilliseconds: Int32, _ body: (UInt64, Interest) -> Void) throws(SystemError)
}

/// The epoll(7) selector, level-triggered: a connection that leaves bytes unread is simply woken again.
public final class EpollSelector: Selector {
    private let epoll: FileDescriptor
    private var events: [epoll_event]

    public init(maxEventsPerWait: Int = 256) throws(SystemError) {
        epoll = FileDescriptor(try blockingSyscall("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) })
        events = Array(repeating: epoll_event(), count: maxEventsPerWait)
    }

    private func control(_ op: Int32, _ fd: Int32, id: UInt64, interest: Interest, name: StaticString) throws(SystemError) {
        var event = epoll_event()
        var mask: UInt32 = 0
        if interest.contains(.read) { mask |= cs_epollin() | cs_epollrdhup() }
        if interest.contains(.write) { mask |= cs_epollout() }
        cs_epoll_event_set(&event, mask, id)
        try blockingSyscall(name) { epoll_ctl(epoll.rawValue, op, fd, &event) }
    }

    public func register(_ fd: Int32, id: UInt64, interest: Interest) throws(SystemError) {
        try control(EPOLL_CTL_ADD, fd, id: id, interest: interest, name: "epoll_ctl(ADD)")
    }

    public func reregister(_ fd: Int32, id: UInt64, interest: Interest) throws(SystemError) {
        try control(EPOLL_CTL_MOD, fd, id: id, interest: interest, name: "epoll_ctl(MOD)")
    }

    public func deregister(_ fd: Int32) throws(SystemError) {
        var event = epoll_event()
        try blockingSyscall("epoll_ctl(DEL)") { epoll_ctl(epoll.rawValue, EPOLL_CTL_DEL, fd, &event) }
    }

    public func wait(timeoutMilliseconds: Int32, _ body: (UInt64, Interest) -> Void) throws(SystemError) {
        let epollFD = epoll.rawValue
        let capacity = Int32(events.count)
        let count = try events.withUnsafeMutableBufferPointer { buffer throws(SystemError) in
            switch try syscall("epoll_wait", { epoll_wait(epollFD, buffer.baseAddress, capacity, timeoutMilliseconds) }) {
            case .done(let count): return Int(count)
            case .wouldBlock: return 0
            }
        }
        for index in 0..<count {
            let mask = withUnsafePointer(to: &events[index]) { cs_epoll_event_events($0) }
            let id = withUnsafePointer(to: &events[index]) { cs_epoll_event_data($0) }
            var ready: Interest = []
            if mask & (cs_epollin() | cs_epollrdhup()) != 0 { ready.insert(.read) }
            if mask & cs_epollout() != 0 { ready.insert(.write) }
            if mask & (cs_epollerr() | cs_epollhup()) != 0 { ready.insert(.hangup) }
            body(id, ready)
        }
    }
}
