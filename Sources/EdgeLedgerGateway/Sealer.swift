import EdgeLedgerCore
import EdgeLedgerStore
import Logging

/// Seals the log: extends the tiles over the new entries, signs a checkpoint with every
/// configured key and stores both in one transaction (see ``LedgerStore/seal(now:sign:)``).
public final class Sealer: Sendable {
    private let store: LedgerStore
    private let origin: String
    private let hash: HashAlgorithm
    private let signers: [any NoteSigner]
    private let logger: Logger
    private let metrics: AgentMetrics?
    private let onSealed: @Sendable (SealResult) -> Void
    private let damageReporter: StoreDamageReporter?

    /// - Parameters:
    ///   - signers: every configured signing key; the first should be Ed25519 so that plain
    ///     C2SP verifiers can check the checkpoints.
    ///   - onSealed: called after each stored checkpoint (e.g. to nudge the witness push).
    ///   - damageReporter: says so when a seal finds the store damaged (the seal is refused).
    public init(
        store: LedgerStore, origin: String, hash: HashAlgorithm, signers: [any NoteSigner],
        metrics: AgentMetrics? = nil,
        logger: Logger, onSealed: @escaping @Sendable (SealResult) -> Void = { _ in },
        damageReporter: StoreDamageReporter? = nil
    ) {
        self.damageReporter = damageReporter
        self.store = store
        self.origin = origin
        self.hash = hash
        self.signers = signers
        self.logger = logger
        self.metrics = metrics
        self.onSealed = onSealed
    }

    /// Entries appended but not yet covered by a checkpoint.
    public var pendingCount: UInt64 { store.pendingCount }

    /// Seals what is pending; returns nil (and writes nothing) when nothing is.
    @discardableResult
    public func seal() throws -> SealResult? {
        let started = ContinuousClock.now
        let damagedBefore = store.damage != nil
        let result: SealResult?
        do {
            result = try store.seal { request in
                let checkpoint = Self.checkpoint(origin: origin, size: request.size, root: request.root, hash: hash)
                return try NoteSigning.sign(text: checkpoint.text, with: signers).serialized
            }
        } catch {
            metrics?.sealFailures.increment()
            // Damage recorded before this seal was found (and is reported) by whoever recorded it.
            if !damagedBefore { damageReporter?.reportIfDamaged(foundBy: "seal") }
            throw error
        }
        if let result {
            if let metrics {
                metrics.sealDuration.record(duration: ContinuousClock.now - started)
                metrics.checkpointsSealed.increment()
                metrics.recordSizes(
                    treeSize: store.nextIndex, sealedSize: result.checkpoint.size, bytesOnDisk: store.bytesOnDisk())
            }
            onSealed(result)
            logger.debug(
                "sealed checkpoint",
                metadata: [
                    "size": "\(result.checkpoint.size)", "old_size": "\(result.oldSize)",
                    "root": "\(result.checkpoint.root.hex)", "tiles": "\(result.tilesWritten)",
                    "duration_ms": "\((ContinuousClock.now - started).millisecondsClamped)",
                ])
        }
        return result
    }

    /// The checkpoint body for a log: SHA-256 logs carry no extension lines (plain C2SP); an SM3
    /// log says so with the extension line `hash sm3`, so no verifier mistakes its roots for
    /// SHA-256 ones.
    public static func checkpoint(origin: String, size: UInt64, root: Hash32, hash: HashAlgorithm) -> Checkpoint {
        var checkpoint = Checkpoint(origin: origin, size: size, root: root)
        if hash == .sm3 { checkpoint.extensions = ["hash sm3"] }
        return checkpoint
    }
}
