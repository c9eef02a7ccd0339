import SystemIO

/// The TLS context new connections start from. `reload` builds a new one from the same configuration (the files
/// may have been replaced, e.g. by `certbot renew` or a rotated client certificate) and swaps it in only if it
/// loads; sessions already open keep the context they started with.
public final class ReloadableTLSContext: Sendable {
    private let state: Locked<TLSContext>

    public init(_ context: TLSContext) {
        state = Locked(context)
    }

    public var current: TLSContext { state.withLock { $0 } }

    /// Re-reads the files. On failure the old context stays in use and the error says what is wrong.
    public func reload(now epochSeconds: Int) -> Result<TLSContext, TLSError> {
        let configuration = current.configuration
        do {
            let fresh = try TLSContext(configuration, now: epochSeconds)
            state.withLock { $0 = fresh }
            return .success(fresh)
        } catch {
            return .failure(error)
        }
    }
}
