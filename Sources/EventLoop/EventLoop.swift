import CSystemShims
import Glibc
import Synchronization
import SystemIO

/// Something registered with an event loop that wants to hear when its descriptor is ready.
public protocol EventHandler: AnyObject {
    func handle(_ ready: Interest)
}

/// One thread, one epoll instance. Registered handlers run only on the loop's thread, so connection state needs no
/// locks; other threads reach the loop only through `execute`, which queues a task and wakes the loop through an
/// eventfd. The loop calls `tick` at least every `tickMilliseconds`, which is how coarse timers (timeouts, the
/// cached Date header) are driven without a timer per connection.
public final class EventLoop: @unchecked Sendable {
    public let name: String
    private let selector: Selector
    private let wakeup: FileDescriptor
    private var handlers: [UInt64: EventHandler] = [:]
    private var nextID: UInt64 = 1
    private let pending = Locked<[@Sendable () -> Void]>([])
    private let stopRequested = Atomic<Bool>(false)
    /// The pthread running `run()`, 0 before it starts.
    private let thread = Atomic<UInt>(0)
    private let tickMilliseconds: Int32
    private var ticks: [() -> Void] = []
    private static let wakeupID: UInt64 = 0

    public init(name: String, selector: Selector? = nil, tickMilliseconds: Int32 = 250) throws(SystemError) {
        self.name = name
        if let selector {
            self.selector = selector
        } else {
            self.selector = try EpollSelector()
        }
        self.tickMilliseconds = tickMilliseconds
        wakeup = FileDescriptor(try blockingSyscall("eventfd") { eventfd(0, Int32(cs_efd_nonblock_cloexec())) })
        try self.selector.register(wakeup.rawValue, id: Self.wakeupID, interest: .read)
    }

    // MARK: Loop thread only

    /// Registers `handler` for `fd`; the returned id is needed to change or remove the registration.
    public func register(_ fd: Int32, interest: Interest, handler: EventHandler) throws(SystemError) -> UInt64 {
        let id = nextID
        nextID += 1
        try selector.register(fd, id: id, interest: interest)
        handlers[id] = handler
        return id
    }

    public func reregister(_ fd: Int32, id: UInt64, interest: Interest) throws(SystemError) {
        try selector.reregister(fd, id: id, interest: interest)
    }

    /// Removes a registration; events already collected for it in this wake-up are dropped.
    public func deregister(_ fd: Int32, id: UInt64) {
        handlers[id] = nil
        try? selector.deregister(fd)
    }

    /// Adds a callback run on every tick (at least every `tickMilliseconds`, and after each batch of events).
    public func onTick(_ body: @escaping () -> Void) {
        ticks.append(body)
    }

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        thread.store(UInt(pthread_self()), ordering: .releasing)
        while !stopRequested.load(ordering: .acquiring) {
            do {
                try selector.wait(timeoutMilliseconds: tickMilliseconds) { id, ready in
                    if id == Self.wakeupID {
                        drainWakeup()
                    } else {
                        handlers[id]?.handle(ready)
                    }
                }
            } catch {
                // epoll_wait fails only for programming errors (EBADF, EINVAL); say so and keep serving.
                print("event loop \(name): \(error)")
            }
            runPendingTasks()
            for tick in ticks { tick() }
        }
        runPendingTasks()
        // Tick callbacks and handlers usually hold what holds this loop; letting go of them here breaks those
        // cycles once the loop is done, so a stopped server is freed.
        ticks.removeAll()
        handlers.removeAll()
    }

    // MARK: Any thread

    /// Whether the caller runs on this loop's thread.
    public var inEventLoop: Bool { thread.load(ordering: .acquiring) == UInt(pthread_self()) }

    /// Runs `task` on the loop's thread, soon.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        let wasEmpty = pending.withLock { queue in
            queue.append(task)
            return queue.count == 1
        }
        if wasEmpty { signal() }
    }

    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        signal()
    }

    private func signal() {
        var one: UInt64 = 1
        let fd = wakeup.rawValue
        // EAGAIN means the counter is already non-zero: the loop will wake anyway.
        _ = try? syscall("write(eventfd)") { withUnsafeBytes(of: &one) { write(fd, $0.baseAddress, 8) } }
    }

    private func drainWakeup() {
        var value: UInt64 = 0
        let fd = wakeup.rawValue
        _ = try? syscall("read(eventfd)") { withUnsafeMutableBytes(of: &value) { read(fd, $0.baseAddress, 8) } }
    }

    private func runPendingTasks() {
        let tasks = pending.withLock { queue in
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
        for task in tasks { task() }
    }
}
