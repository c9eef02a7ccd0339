import Dispatch
import EventLoop
import Foundation
import SystemIO
import Testing

/// Tasks handed to a loop from other threads: run while it runs, dropped (and so released) once it has finished,
/// since a task kept by a finished loop would keep what it captures, often the connection that holds the loop.
@Suite struct EventLoopTaskTests {
    final class Token: Sendable {}

    @Test func tasksRunWhileTheLoopRunsAndAreDroppedOnceItHasFinished() throws {
        let loop = try EventLoop(name: "test")
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            loop.run()
            finished.signal()
        }
        let ran = DispatchSemaphore(value: 0)
        loop.execute { ran.signal() }
        #expect(ran.wait(timeout: .now() + 10) == .success)
        loop.stop()
        #expect(finished.wait(timeout: .now() + 10) == .success)

        weak var dropped: Token?
        do {
            let token = Token()
            dropped = token
            loop.execute { _ = token }
        }
        #expect(dropped == nil)
    }

    /// The wake hooks (where the engine reads its clock) run once per turn, before the ticks: on a turn with
    /// events and on one whose wait timed out alike, so the ticks' deadlines never read a clock from turns ago.
    @Test func wakeHooksRunOncePerTurnBeforeTheTicks() throws {
        let loop = try EventLoop(name: "test", tickMilliseconds: 5)
        let order = Locked<[String]>([])
        loop.onWake { order.withLock { $0.append("wake") } }
        loop.onTick { order.withLock { $0.append("tick") } }
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            loop.run()
            finished.signal()
        }
        // A turn with an event (a task's wake-up), then turns that time out: more ticks than the two turns the
        // tasks can have made, however slowly the loop's thread is scheduled.
        let ran = DispatchSemaphore(value: 0)
        loop.execute { ran.signal() }
        #expect(ran.wait(timeout: .now() + 10) == .success)
        let deadline = ContinuousClock.now + .seconds(10)
        while order.withLock({ $0.count }) < 10, ContinuousClock.now < deadline { usleep(5_000) }
        loop.stop()
        #expect(finished.wait(timeout: .now() + 10) == .success)
        let hooks = order.withLock { $0 }
        let turns = hooks.count / 2
        #expect(turns >= 5, "\(hooks.count) hooks ran")
        #expect(hooks == Array(repeating: ["wake", "tick"], count: turns).flatMap { $0 })
    }
}
