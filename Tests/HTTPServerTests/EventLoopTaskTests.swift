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
}
