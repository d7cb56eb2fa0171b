/// The result of ``TiledTree/extend(from:appending:reader:hasher:)``: what a store must write to
/// grow a tiled tree from ``oldSize`` to ``newSize``.
public struct TileExtension: Sendable {
    /// The tree size before the extension.
    public var oldSize: UInt64
    /// The tree size after it.
    public var newSize: UInt64
    /// The RFC 6962 root of the tree of ``newSize`` entries.
    public var root: Hash32
    /// Every hash tile that is new or wider at ``newSize``, ordered by level then index, each with
    /// its full contents (including the hashes it already had). A store upserts them by
    /// `(level, index)`, replacing any narrower partial tile at the same position. The ids are
    /// exactly ``TileID/tiles(from:to:)`` for the two sizes.
    public var tiles: [(id: TileID, hashes: [Hash32])]

    /// Creates an extension result; normally only ``TiledTree`` does.
    public init(oldSize: UInt64, newSize: UInt64, root: Hash32, tiles: [(id: TileID, hashes: [Hash32])]) {
        self.oldSize = oldSize
        self.newSize = newSize
        self.root = root
        self.tiles = tiles
    }
}
