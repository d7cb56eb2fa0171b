import EdgeLedgerCore

/// One `add-checkpoint` request whose signature verified, as the store decides it: the
/// checkpoint, the log's hash function and growth bound, and the witness's own check of the
/// request against its state (see
/// ``CollectorStore/addWitnessCheckpoint(_:hasher:boundFirstByCollection:maxGrowth:decide:)``).
public struct WitnessUpdate: Sendable {
    /// The checkpoint that becomes the witness's state when accepted.
    public var next: WitnessLogState
    /// The log's Merkle hash function.
    public var hasher: any MerkleHasher
    /// Cosign only up to what the collector verified plus ``maxGrowth``.
    public var boundFirstByCollection: Bool
    /// How far beyond the collector's verified size a checkpoint may be recorded.
    public var maxGrowth: UInt64
    /// Checks the request against the witness's current state (`nil`: none yet); throws to
    /// refuse it, nothing stored.
    public var decide: @Sendable (WitnessLogState?) throws -> Void

    /// Creates an update.
    public init(
        _ next: WitnessLogState, hasher: any MerkleHasher, boundFirstByCollection: Bool, maxGrowth: UInt64 = .max,
        decide: @escaping @Sendable (WitnessLogState?) throws -> Void
    ) {
        self.next = next
        self.hasher = hasher
        self.boundFirstByCollection = boundFirstByCollection
        self.maxGrowth = maxGrowth
        self.decide = decide
    }
}
