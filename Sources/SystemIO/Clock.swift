import Glibc

/// Monotonic and wall-clock readings, each one clock_gettime (a vDSO call, no system call).
public enum Clock {
    /// Milliseconds on a clock that never jumps: for timeouts and durations.
    public static func monotonicMilliseconds() -> Int64 { monotonicMicroseconds() / 1000 }

    public static func monotonicMicroseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }

    /// Whole seconds since the Unix epoch from the kernel's last tick (CLOCK_REALTIME_COARSE): a few
    /// milliseconds behind at most, for stamps in seconds, and a fifth of a precise reading's cost.
    public static func epochSecondsCoarse() -> Int {
        var now = timespec()
        // A kernel or sandbox without the coarse clock gets the precise one rather than 1970.
        if clock_gettime(CLOCK_REALTIME_COARSE, &now) != 0 { clock_gettime(CLOCK_REALTIME, &now) }
        return Int(now.tv_sec)
    }

    /// Milliseconds since the Unix epoch: for dates and logs.
    public static func epochMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
