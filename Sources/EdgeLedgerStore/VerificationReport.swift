import EdgeLedgerCore

/// What ``LedgerVerifier`` checked in a store that passed.
public struct VerificationReport: Sendable, Hashable {
    /// The database file.
    public var path: String
    /// The store's hash algorithm.
    public var hashAlgorithm: HashAlgorithm
    /// The log origin recorded in the store, if any.
    public var origin: String?
    /// Entries in the log (all indices `0 ..< entries` are present).
    public var entries: UInt64
    /// Entries whose bytes retention pruned: their stored leaf hashes were used unchecked.
    public var prunedEntries: UInt64
    /// Size of the latest checkpoint.
    public var sealedSize: UInt64
    /// Root of the latest checkpoint (the empty-tree root when there is none).
    public var root: Hash32
    /// Hash tiles compared with the recomputed ones.
    public var tilesChecked: Int
    /// Checkpoints whose root, note body and consistency were checked.
    public var checkpoints: Int
    /// Signatures verified with the given verifier keys (0 when none were given).
    public var signaturesVerified: Int
    /// Consistency proofs between consecutive checkpoints generated and verified.
    public var consistencyProofs: Int

    /// Entries appended after the latest checkpoint.
    public var pendingEntries: UInt64 { entries - sealedSize }
}
