/// Hash tiles read through a ``TileReader`` are missing, too short or malformed for the tree size
/// asked about, or an operation on a tiled tree was given impossible sizes.
///
/// Errors thrown by the reader itself (e.g. SQLite failures) are passed through unchanged; this
/// type covers what the tiled-tree algorithms detect on their own.
public struct TileError: ExplainedError, Equatable {
    /// What is wrong, e.g. "tile 0/12 holds 17 hashes, but tree size 3090 needs at least 18".
    public var message: String
    /// What the operator or caller can do about it.
    public var hint: String?

    /// Creates an error with a message and an optional hint.
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
