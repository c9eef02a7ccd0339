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
    /// Handlers by slot; a registration's id is its slot and the slot's generation (`generation << 32 | slot`), so
    /// an event is found with an index and one comparison (a dictionary's hashing cost 150 instructions an event),
    /// and an event fetched for a registration that has since closed is not given to the next one in its slot.
    private var slots: [Slot] = []
    private var freeSlots: [Int] = []
    private let pending = Locked(TaskQueue())
    /// Set after a task is queued: a turn with nothing queued does not take the lock.
    private let hasPending = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)
    /// The pthread running `run()`, 0 before it starts.
    private let thread = Atomic<UInt>(0)
    private let tickMilliseconds: Int32
    private var ticks: [() -> Void] = []
    private var wakes: [() -> Void] = []
    private static let wakeupID: UInt64 = 0

    private struct TaskQueue {
        var tasks: [@Sendable () -> Void] = []
        /// Set when the loop has finished: what is queued after that would never run, so it is dropped rather
        /// than kept (with what it captures, often the connection that holds this loop).
        var closed = false
    }

    private struct Slot {
        var generation: UInt32 = 0
        var handler: EventHandler?
    }

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
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slots.append(Slot())
            slot = slots.count - 1
        }
        slots[slot].generation &+= 1
        if slots[slot].generation == 0 { slots[slot].generation = 1 }  // id 0 is the wakeup's
        let id = UInt64(slots[slot].generation) << 32 | UInt64(slot)
        do {
            try selector.register(fd, id: id, interest: interest)
        } catch {
            freeSlots.append(slot)
            throw error
        }
        slots[slot].handler = handler
        return id
    }

    public func reregister(_ fd: Int32, id: UInt64, interest: Interest) throws(SystemError) {
        try selector.reregister(fd, id: id, interest: interest)
    }

    /// Removes a registration; events already collected for it in this wake-up are dropped.
    public func deregister(_ fd: Int32, id: UInt64) {
        if let slot = slot(of: id) {
            slots[slot].handler = nil
            freeSlots.append(slot)
        }
        try? selector.deregister(fd)
    }

    /// The slot of a live registration, nil for one that has been deregistered.
    private func slot(of id: UInt64) -> Int? {
        let slot = Int(id & 0xFFFF_FFFF)
        guard slot < slots.count, slots[slot].generation == UInt32(id >> 32), slots[slot].handler != nil else { return nil }
        return slot
    }

    /// Adds a callback run on every tick (at least every `tickMilliseconds`, and after each batch of events).
    public func onTick(_ body: @escaping () -> Void) {
        ticks.append(body)
    }

    /// `body` runs once each time the loop's wait returns, before the first event is handled (with no events,
    /// before the ticks): where a clock that the handlers and the ticks read is refreshed, once per turn.
    public func onWake(_ body: @escaping () -> Void) {
        wakes.append(body)
    }

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        thread.store(UInt(pthread_self()), ordering: .releasing)
        while !stopRequested.load(ordering: .acquiring) {
            var woken = false
            do {
                try selector.wait(timeoutMilliseconds: tickMilliseconds) { id, ready in
                    if !woken {
                        woken = true
                        for wake in wakes { wake() }
                    }
                    if id == Self.wakeupID {
                        drainWakeup()
                    } else if let slot = slot(of: id), let handler = slots[slot].handler {
                        // Out of the table first: the handler may register and deregister, and so grow the table.
                        handler.handle(ready)
                    }
                }
            } catch {
                // epoll_wait fails only for programming errors (EBADF, EINVAL); say so and keep serving.
                print("event loop \(name): \(error)")
            }
            if !woken {
                for wake in wakes { wake() }
            }
            runPendingTasks()
            for tick in ticks { tick() }
        }
        let lastTasks = pending.withLock { queue in
            queue.closed = true
            defer { queue.tasks = [] }
            return queue.tasks
        }
        for task in lastTasks { task() }
        // Tick callbacks and handlers usually hold what holds this loop; letting go of them here breaks those
        // cycles once the loop is done, so a stopped server is freed.
        ticks.removeAll()
        wakes.removeAll()
        slots.removeAll()
        freeSlots.removeAll()
    }

    // MARK: Any thread

    /// Whether the caller runs on this loop's thread.
    public var inEventLoop: Bool { thread.load(ordering: .acquiring) == UInt(pthread_self()) }

    /// Runs `task` on the loop's thread, soon; once the loop has finished, never (the task is dropped).
    public func execute(_ task: @escaping @Sendable () -> Void) {
        let wasEmpty = pending.withLock { queue in
            guard !queue.closed else { return false }
            queue.tasks.append(task)
            return queue.tasks.count == 1
        }
        // Before the signal, so the turn it wakes sees the task.
        hasPending.store(true, ordering: .releasing)
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
        guard hasPending.exchange(false, ordering: .acquiringAndReleasing) else { return }
        let tasks = pending.withLock { queue in
            let taken = queue.tasks
            queue.tasks.removeAll(keepingCapacity: true)
            return taken
        }
        for task in tasks { task() }
    }
}
