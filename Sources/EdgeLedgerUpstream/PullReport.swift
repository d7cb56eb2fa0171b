import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import ServiceLifecycle
import Synchronization

/// What one pull from a gateway did.
public struct PullReport: Sendable, Equatable, CustomStringConvertible {
    /// How the pull ended.
    public enum Outcome: Sendable, Equatable {
        /// The gateway has not sealed a checkpoint yet.
        case noCheckpoint
        /// Nothing new: the gateway's checkpoint is the verified one.
        case upToDate
        /// A newer checkpoint was verified and its entries stored.
        case verified
        /// What the gateway served was refused (signature, rollback, fork, tampered tile or
        /// entry); nothing was verified or acknowledged.
        case refused(String)
        /// The gateway answered with an error that needs the operator (401, 403, …).
        case rejected(String)
        /// The gateway could not be reached, or answered with a server error.
        case unreachable(String)
        /// The upstream's own store failed.
        case failed(String)
    }

    /// How the pull ended.
    public var outcome: Outcome
    /// The size of the gateway's checkpoint, when one was read.
    public var checkpointSize: UInt64?
    /// The verified size after the pull.
    public var verifiedSize: UInt64
    /// Entries fetched and staged during the pull.
    public var fetchedEntries: UInt64
    /// The size acknowledged to the gateway after the pull.
    public var ackedSize: UInt64
    /// How long the pull took.
    public var duration: Duration
    /// Of ``duration``: time spent hashing, verifying and storing entries (the rest is waiting
    /// for the gateway).
    public var verifying: Duration = .zero
    /// The pull ``Outcome/failed(_:)`` because the upstream's database could not be reached (a
    /// PostgreSQL restart or failover, ``StoreError/Kind/unavailable``): retried at the next
    /// `pull_interval` rather than after `backoff.max`, since a pull reads the store before it
    /// asks the gateway anything.
    public var storeUnavailable = false
    /// The pull ``Outcome/failed(_:)`` because another writer of the log (an upload to the mirror:
    /// the gateway switching to push, or pushing while it is still pulled) staged entries after the
    /// pull read the next entry; nothing was written. Retried at the next `pull_interval`, which
    /// goes on from the new next entry, rather than after `backoff.max`.
    public var raced = false

    public var description: String {
        "\(outcome) checkpoint=\(checkpointSize.map(String.init) ?? "-") verified=\(verifiedSize) "
            + "fetched=\(fetchedEntries) acked=\(ackedSize)"
    }
}
