/// What one successful ``LedgerStore/seal(now:sign:)`` stored.
public struct SealResult: Sendable, Hashable {
    /// Size of the previous checkpoint (0 when this is the first).
    public var oldSize: UInt64
    /// The stored checkpoint, with its signed note.
    public var checkpoint: CheckpointRecord
    /// How many tile rows were inserted or widened.
    public var tilesWritten: Int

    /// Creates a result.
    public init(oldSize: UInt64, checkpoint: CheckpointRecord, tilesWritten: Int) {
        self.oldSize = oldSize
        self.checkpoint = checkpoint
        self.tilesWritten = tilesWritten
    }
}
