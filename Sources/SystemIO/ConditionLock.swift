import Glibc

/// A mutex with one condition variable: a store's request threads signal, its writer or database threads wait.
/// (Synchronization's Mutex has no condition variable.) Timed waits run on the monotonic clock.
public final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    public func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits for a signal; call only while holding the lock, inside `withLock`.
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// Waits for a signal or until `deadline` (`Clock.monotonicMicroseconds()`), whichever comes first; call only
    /// while holding the lock.
    public func wait(untilMonotonicMicroseconds deadline: Int64) {
        var time = timespec(tv_sec: Int(deadline / 1_000_000), tv_nsec: Int(deadline % 1_000_000) * 1000)
        _ = pthread_cond_timedwait(condition, mutex, &time)
    }

    /// Wakes one waiter.
    public func signal() { pthread_cond_signal(condition) }

    /// Wakes every waiter: when what several of them wait for may have changed.
    public func broadcast() { pthread_cond_broadcast(condition) }
}
