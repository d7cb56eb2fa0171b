import EdgeLedgerCore
import EdgeLedgerSystem

/// The collector refuses what the gateway served: a bad signature, a rollback, a fork, or a tile
/// or entry that does not match the rest. Never acknowledged; logged with what and where.
struct CollectorRefusal: Error, CustomStringConvertible {
    /// What was refused, e.g. "tampered entry bundle".
    var what: String
    /// Where: the tile path or tree size.
    var location: String
    /// The details.
    var detail: String
    /// Whether the staged entries must be discarded (they cannot be part of the signed log).
    var discardStaged: Bool = false

    var description: String { "\(what) at \(location): \(detail)" }
}

/// Another writer of the log staged entries after the pull read the next entry (an upload to the
/// mirror, whose compare-and-set on the next entry won): nothing of the pull's batch was written;
/// the next pull goes on from the new next entry.
struct CollectorRaced: Error, CustomStringConvertible {
    var origin: String
    /// The next entry the pull read.
    var expected: UInt64
    /// The next entry now.
    var found: UInt64

    var description: String {
        "entries from \(expected) of \(origin) were staged by another writer meanwhile (an upload to the mirror), "
            + "\(found) are held now; nothing of this pull was written"
    }
}

/// Parsing of tlog-tiles responses.
enum TileParsing {
    /// The hashes of a hash tile body (`width` × 32 bytes).
    static func hashes(_ body: [UInt8], id: TileID) throws(CollectorRefusal) -> [Hash32] {
        guard body.count == id.width * 32 else {
            throw CollectorRefusal(
                what: "malformed hash tile", location: id.path,
                detail: "\(body.count) bytes, expected \(id.width * 32) (\(id.width) hashes)")
        }
        return body.withUnsafeBytes { raw in
            [Hash32](unsafeUninitializedCapacity: id.width) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
                initialized = id.width
            }
        }
    }

    /// Appends the entries of an entry bundle body (`u16 length || entry` × width) from position
    /// `skip` on to `batch`, and their leaf hashes to `leafHashes`.
    ///
    /// - Returns: the index of the first entry that is not an EdgeLedger format-v1 entry carrying
    ///   its own index (such an entry is still stored: the signed tree commits to it), or `nil`.
    @discardableResult
    static func bundle(
        _ body: [UInt8], id: TileID, skip: Int, hasher: any MerkleHasher, into batch: inout CollectorEntryBatch,
        leafHashes: inout [Hash32]
    ) throws(CollectorRefusal) -> UInt64? {
        var unusual: UInt64? = nil
        let firstIndex = id.index &* UInt64(TileID.fullWidth)
        let result: CollectorRefusal? = body.withUnsafeBytes { raw -> CollectorRefusal? in
            var offset = 0
            var position = 0
            while offset < raw.count {
                guard offset + 2 <= raw.count else {
                    return CollectorRefusal(
                        what: "malformed entry bundle", location: id.path,
                        detail: "truncated length prefix of entry \(position) at byte \(offset)")
                }
                let length = Int(raw[offset]) << 8 | Int(raw[offset + 1])
                offset += 2
                guard offset + length <= raw.count else {
                    return CollectorRefusal(
                        what: "malformed entry bundle", location: id.path,
                        detail: "entry \(position) claims \(length) bytes but only \(raw.count - offset) remain")
                }
                guard position < id.width else {
                    return CollectorRefusal(
                        what: "malformed entry bundle", location: id.path,
                        detail: "more than \(id.width) entries")
                }
                if position >= skip {
                    let entry = UnsafeRawBufferPointer(rebasing: raw[offset..<offset + length])
                    batch.append(entry)
                    leafHashes.append(hasher.leafHash(entry))
                    if unusual == nil {
                        let index = firstIndex &+ UInt64(position)
                        if length < Entry.headerSize || !Entry.isKnownVersion(entry[0])
                            || UInt64(bigEndian: entry.loadUnaligned(fromByteOffset: 2, as: UInt64.self)) != index
                        {
                            unusual = index
                        }
                    }
                }
                offset += length
                position += 1
            }
            guard position == id.width else {
                return CollectorRefusal(
                    what: "malformed entry bundle", location: id.path,
                    detail: "\(position) entries, expected \(id.width)")
            }
            return nil
        }
        if let result { throw result }
        return unusual
    }
}

/// A tile reader over tiles held in memory, falling back to a closure (the store) for the rest;
/// and a dry-run reader that records which tiles a computation reads.
struct OverlayTileReader: TileReader {
    var tiles: [TileKey: [Hash32]]
    var fallback: (Int, UInt64) throws -> [Hash32]

    func readTile(level: Int, index: UInt64) throws -> [Hash32] {
        if let hashes = tiles[TileKey(level: level, index: index)] { return hashes }
        return try fallback(level, index)
    }
}

/// A tile position.
struct TileKey: Hashable, Sendable {
    var level: Int
    var index: UInt64

    /// The entry after the last one the tile covers (`UInt64.max` when that is beyond it).
    var end: UInt64 {
        let shift = TileID.height * (level + 1)
        guard shift < 64 else { return .max }
        let (end, overflow) = (index &+ 1).multipliedReportingOverflow(by: 1 << UInt64(shift))
        return overflow ? .max : end
    }
}

/// Records the tiles a ``TiledTree`` computation reads, answering with zero hashes of each
/// tile's width in a tree of `treeSize`.
final class RecordingTileReader: TileReader {
    let treeSize: UInt64
    private(set) var read: [TileKey] = []

    init(treeSize: UInt64) { self.treeSize = treeSize }

    func readTile(level: Int, index: UInt64) throws -> [Hash32] {
        read.append(TileKey(level: level, index: index))
        return [Hash32](repeating: .zero, count: TileWidths.width(level: level, index: index, treeSize: treeSize))
    }
}

enum TileWidths {
    /// The width of hash tile `level`/`index` in a tree of `treeSize` entries (0 when it does not
    /// exist yet).
    static func width(level: Int, index: UInt64, treeSize: UInt64) -> Int {
        let count = treeSize >> UInt64(TileID.height * level)
        let start = index &* UInt64(TileID.fullWidth)
        guard count > start else { return 0 }
        return Int(min(UInt64(TileID.fullWidth), count - start))
    }
}
