/// A witness cosignature on one of this log's checkpoints, as returned by a `tlog-witness`
/// `add-checkpoint` call: the signature line to append to the checkpoint's note.
public struct Cosignature: Sendable, Hashable {
    /// Size of the checkpoint it signs.
    public var checkpointSize: UInt64
    /// The witness key name (the name on the signature line).
    public var witness: String
    /// The complete signature line, `— <name> <base64>`, without newline.
    public var line: String
    /// When it was received: Unix nanoseconds, UTC.
    public var receivedAt: Int64

    /// Creates a cosignature record.
    public init(checkpointSize: UInt64, witness: String, line: String, receivedAt: Int64) {
        self.checkpointSize = checkpointSize
        self.witness = witness
        self.line = line
        self.receivedAt = receivedAt
    }
}
