import Dispatch
import EventLoop
import Foundation
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
        // Loop thread only, read after the loop has finished.
        nonisolated(unsafe) var order: [String] = []
        loop.onWake { order.append("wake") }
        loop.onTick { order.append("tick") }
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            loop.run()
            finished.signal()
        }
        // Turns with an event (a task's wake-up) and turns that time out.
        for _ in 0..<5 {
            let ran = DispatchSemaphore(value: 0)
            loop.execute { ran.signal() }
            #expect(ran.wait(timeout: .now() + 10) == .success)
            usleep(12_000)
        }
        loop.stop()
        #expect(finished.wait(timeout: .now() + 10) == .success)
        let turns = order.count / 2
        #expect(turns >= 10, "\(order.count) hooks ran")
        #expect(order == Array(repeating: ["wake", "tick"], count: turns).flatMap { $0 })
    }
}
