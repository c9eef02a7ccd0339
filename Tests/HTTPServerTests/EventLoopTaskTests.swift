import Dispatch
import EventLoop
import Foundation
import SystemIO
import Testing

/// A loop's turns as other threads see them: tasks handed to it, and the hooks it runs each turn.
@Suite struct EventLoopTaskTests {
    final class Token: Sendable {}

    /// Runs `loop` on a thread of its own; the semaphore is signalled when `run()` returns.
    private func start(_ loop: EventLoop) -> DispatchSemaphore {
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            loop.run()
            finished.signal()
        }
        return finished
    }

    /// Hands `loop` a task and waits until it has run: one turn with an event.
    private func runTask(on loop: EventLoop) {
        let ran = DispatchSemaphore(value: 0)
        loop.execute { ran.signal() }
        #expect(ran.wait(timeout: .now() + 10) == .success)
    }

    /// Tasks run while the loop runs and are dropped (and so released) once it has finished, since a task kept by
    /// a finished loop would keep what it captures, often the connection that holds the loop.
    @Test func tasksRunWhileTheLoopRunsAndAreDroppedOnceItHasFinished() throws {
        let loop = try EventLoop(name: "test")
        let finished = start(loop)
        runTask(on: loop)
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
        let finished = start(loop)
        // A turn with an event (a task's wake-up), then turns that time out: more ticks than the two turns the
        // task and the stop can have made, however slowly the loop's thread is scheduled.
        runTask(on: loop)
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
