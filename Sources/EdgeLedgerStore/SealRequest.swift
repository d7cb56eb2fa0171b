import EdgeLedgerCore

/// What ``LedgerStore/seal(now:sign:)`` asks its signing closure to sign: the new tree head.
public struct SealRequest: Sendable, Hashable {
    /// The log origin recorded in the store, if any (set by the first seal or at open).
    public var origin: String?
    /// Size of the previous checkpoint (0 when there is none).
    public var oldSize: UInt64
    /// The new tree size.
    public var size: UInt64
    /// The new root hash.
    public var root: Hash32

    /// Creates a request.
    public init(origin: String?, oldSize: UInt64, size: UInt64, root: Hash32) {
        self.origin = origin
        self.oldSize = oldSize
        self.size = size
        self.root = root
    }
}
