import Glibc

/// A value that threads share behind a pthread mutex.
///
/// Not Synchronization's `Mutex`: on Linux it locks with futex calls inside the Swift runtime, which
/// ThreadSanitizer does not instrument, so TSan cannot see the ordering it provides and reports every value it
/// guards as a race (as `scripts/sanitize thread` does under wrk). TSan intercepts pthread mutexes, which cost
/// the same when uncontended.
public final class Locked<Value: Sendable>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
