import CSystemShims
import Glibc

/// Starts `body` on a new POSIX thread and returns a handle to join it. Foundation's Thread is not used: the
/// server keeps full Foundation out of its binary.
public struct PosixThread: @unchecked Sendable {
    private let thread: pthread_t

    private final class Box {
        let name: String
        let body: () -> Void
        init(_ name: String, _ body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    public init(name: String, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        let box = Unmanaged.passRetained(Box(name, body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            // Linux keeps 15 bytes of a thread's name.
            cs_set_current_thread_name(String(box.name.prefix(15)))
            box.body()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw SystemError(call: "pthread_create", errno: result)
        }
        thread = handle
    }

    public func join() {
        _ = pthread_join(thread, nil)
    }

    /// For a thread nobody will join: its resources go when it ends (ThreadSanitizer reports a finished thread
    /// that was neither joined nor detached as a leak).
    public func detach() {
        _ = pthread_detach(thread)
    }
}
