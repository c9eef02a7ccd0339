import Glibc
import SystemIO

extension CapacityService {
    /// `serve`: starts, then waits for signals. SIGTERM and SIGINT (what ECS and a terminal send) stop gracefully;
    /// SIGHUP reloads (`reload()`). Returns the process exit code.
    public static func run(_ settings: ServiceSettings) throws(StartError) -> Int32 {
        // Signals are handled by sigwait on this thread; blocking them first means every thread started from
        // here on inherits the mask and no handler ever runs on an event loop.
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&signals, signal) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let service = try start(settings)
        while true {
            // Wakes hourly without a signal, to warn about certificates nearing expiry on a long-running server.
            var hour = timespec(tv_sec: 3600, tv_nsec: 0)
            guard case .done(let received)? = try? syscall("sigtimedwait", { sigtimedwait(&signals, nil, &hour) }) else {
                service.checkCertificateExpiry()
                continue
            }
            if received == SIGHUP {
                service.reload()
                continue
            }
            ServiceLog.write(.info, "capacityd: signal \(received): shutting down (grace \(service.shutdownGraceMilliseconds) ms)")
            break
        }
        service.stop()
        return 0
    }
}
