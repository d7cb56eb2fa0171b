import EdgeLedgerCore

/// A stored checkpoint: the tree size, its root, and the complete signed note (every signature
/// line) as it was produced when sealing.
public struct CheckpointRecord: Sendable, Hashable {
    /// Tree size the checkpoint commits to.
    public var size: UInt64
    /// RFC 6962 root of the first `size` entries.
    public var root: Hash32
    /// The signed note text (C2SP signed note with a `tlog-checkpoint` body).
    public var note: String
    /// When it was sealed: Unix nanoseconds, UTC.
    public var createdAt: Int64

    /// Creates a record.
    public init(size: UInt64, root: Hash32, note: String, createdAt: Int64) {
        self.size = size
        self.root = root
        self.note = note
        self.createdAt = createdAt
    }
}
