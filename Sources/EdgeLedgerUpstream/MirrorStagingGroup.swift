import EdgeLedgerCore
import EdgeLedgerStore

/// Entries staged together by one transaction (see ``MirrorUploadSession/flush()``).
struct MirrorStagingGroup: Sendable {
    /// The staged size the transaction extends (compare-and-set).
    var stagedSize: UInt64
    /// The entries not held yet.
    var entries: CollectorEntryBatch
    /// Their leaf hashes.
    var leafHashes: [Hash32]
    /// Verifies every package against the pending checkpoint on the computed tiles.
    var check: @Sendable (TileExtension) throws -> Void
}
