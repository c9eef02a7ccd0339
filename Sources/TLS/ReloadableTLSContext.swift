import SystemIO

/// The TLS context new connections start from. `reload` builds a new one (the files may have been replaced, by
/// `certbot renew`, the ACME client or a rotated client certificate) and swaps it in if it can be assembled;
/// sessions already open keep the context they started with.
public final class ReloadableTLSContext: Sendable {
    private let state: Locked<TLSContext>

    public init(_ context: TLSContext) {
        state = Locked(context)
    }

    public var current: TLSContext { state.withLock { $0 } }

    /// Re-reads the files of the certificates `only` selects (all by default) and the trust file: one result per
    /// certificate read, a failure keeping that certificate's previous version (`TLSContext.reloaded`). Reloads
    /// are serialized, so two at once (SIGHUP and an ACME renewal) cannot undo each other.
    @discardableResult
    public func reload(now epochSeconds: Int, only: (TLSConfiguration.CertificateFiles) -> Bool = { _ in true })
        -> [Result<CertificateInfo, TLSError>] {
        reloading.withLock { _ in
            let (fresh, results) = current.reloaded(now: epochSeconds, only: only)
            if let fresh { state.withLock { $0 = fresh } }
            return results
        }
    }

    private let reloading = Locked(())
}
