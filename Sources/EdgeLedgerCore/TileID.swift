/// The coordinates of one C2SP tlog-tiles resource: a hash tile or an entry bundle
/// (<https://c2sp.org/tlog-tiles>).
///
/// A hash tile at level `L` (0...7), index `N` and width `W` holds `W` consecutive Merkle tree
/// hashes at tree level `8·L`, namely the nodes `N·256 ..< N·256+W` of that tree level; level 0
/// holds leaf hashes. Hashes at tree levels between multiples of 8 are not stored: they are
/// recomputed from the tile below. A tile at level `L > 0` contains a hash only once the 256
/// hashes below it are complete; the rightmost tile of a level is *partial* (width 1...255).
///
/// **Entry bundles** (`tile/entries/<N>[.p/<W>]`) are the pseudo-level ``entriesLevel`` (-1), as in
/// Go's `sumdb/tlog` (which calls it the data level). An entry bundle covers the entries
/// `N·256 ..< N·256+W`, the same positions as level-0 tile `N`. Use ``isEntryBundle`` to tell the
/// two apart; everything else (ordering, width, paths, ``hashRange``) works the same.
///
/// Every `TileID` is valid: its level is -1...7 and its positions fit a tree of at most
/// 2⁶⁴-1 entries (the spec allows levels up to 63 in paths, but levels above 7 cannot occur
/// in such a tree, and ``init(parsingPath:)`` rejects them with an explanation).
///
/// Ordering is by level (entry bundles first), then index, then width.
public struct TileID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Tree levels per tile level: tile level `L` holds tree level `8·L`.
    public static let height = 8
    /// Hashes (or entries) in a full tile: 2⁸ = 256.
    public static let fullWidth = 256
    /// The pseudo-level of entry bundles, `tile/entries/...`.
    public static let entriesLevel = -1
    /// The highest hash tile level that can occur in a tree of at most 2⁶⁴-1 entries.
    public static let maxLevel = 7
    /// The highest level the tlog-tiles path syntax allows (`<L>` is 0...63).
    public static let maxPathLevel = 63

    /// Tile level `L`: 0 for leaf hashes, ``entriesLevel`` (-1) for an entry bundle.
    public let level: Int
    /// Tile index `N` within its level.
    public let index: UInt64
    /// Number of hashes (or entries), 1...256; 256 is a full tile.
    public let width: Int

    /// A hash tile at `level` 0...7 (or an entry bundle at ``entriesLevel``).
    ///
    /// - Precondition: `width` is 1...256, `level` is -1...7, and the tile fits a tree of at most
    ///   2⁶⁴-1 entries. For untrusted input use ``init(parsingPath:)`` or ``isValid(level:index:width:)``.
    public init(level: Int, index: UInt64, width: Int = TileID.fullWidth) {
        precondition(
            TileID.isValid(level: level, index: index, width: width),
            "invalid tile coordinates level \(level) index \(index) width \(width)")
        self.level = level
        self.index = index
        self.width = width
    }

    /// The entry bundle `tile/entries/<index>[.p/<width>]`.
    public static func entryBundle(index: UInt64, width: Int = TileID.fullWidth) -> TileID {
        TileID(level: entriesLevel, index: index, width: width)
    }

    /// Whether these coordinates name a tile that can exist: width 1...256, level -1...7, and the
    /// last position it covers fits a tree of at most 2⁶⁴-1 entries.
    public static func isValid(level: Int, index: UInt64, width: Int) -> Bool {
        guard (1...fullWidth).contains(width), (entriesLevel...maxLevel).contains(level) else { return false }
        let (first, o1) = index.multipliedReportingOverflow(by: UInt64(fullWidth))
        let (end, o2) = first.addingReportingOverflow(UInt64(width))
        return !o1 && !o2 && end <= UInt64.max >> UInt64(height * max(level, 0))
    }

    /// True for an entry bundle (`tile/entries/...`), false for a hash tile.
    public var isEntryBundle: Bool { level == TileID.entriesLevel }

    /// True when the tile has fewer than 256 hashes (its path ends in `.p/<W>`).
    public var isPartial: Bool { width < TileID.fullWidth }

    /// The tree level of the hashes in a hash tile, `8·level` (0 for an entry bundle).
    public var treeLevel: Int { TileID.height * max(level, 0) }

    /// The positions the tile covers at its tree level: `index·256 ..< index·256 + width`.
    /// For level 0 and entry bundles these are entry indices.
    public var hashRange: Range<UInt64> {
        let start = index &* UInt64(TileID.fullWidth)
        return start..<(start &+ UInt64(width))
    }

    /// Whether every hash (or entry) of this tile is complete in a tree of `treeSize` entries,
    /// i.e. whether a log of that size can serve it. A partial tile of width `W` is contained when
    /// the tree has at least `W` complete positions in it (a server may serve it from a wider
    /// stored tile).
    public func isContained(inTreeOfSize treeSize: UInt64) -> Bool {
        hashRange.upperBound <= treeSize >> UInt64(treeLevel)
    }

    /// The tlog-tiles path, e.g. `tile/0/x001/x234/067`, `tile/1/000.p/17`, `tile/entries/003.p/5`:
    /// `N` in 3-digit groups, all but the last prefixed with `x`; `.p/<W>` only for partial tiles.
    public var path: String {
        var out = isEntryBundle ? "tile/entries/" : "tile/\(level)/"
        TileID.appendIndex(index, to: &out)
        if isPartial { out += ".p/\(width)" }
        return out
    }

    /// The ``path``.
    public var description: String { path }

    /// Orders by level, then index, then width.
    public static func < (a: TileID, b: TileID) -> Bool {
        (a.level, a.index, a.width) < (b.level, b.index, b.width)
    }

    // MARK: - Tiles of a tree

    /// Every hash tile of a tree of `treeSize` entries, each with its current width, ordered by
    /// level then index: per level `L`, `⌊s/256^(L+1)⌋` full tiles and, when `⌊s/256^L⌋ mod 256`
    /// is not 0, one partial tile of that width. Empty for the empty tree.
    ///
    /// The list has about `treeSize/255` elements; for large trees prefer ``tiles(from:to:)``.
    public static func tiles(forTreeSize treeSize: UInt64) -> [TileID] {
        tiles(from: 0, to: treeSize)
    }

    /// The hash tiles that are new or wider in a tree of `newSize` entries than in the same tree at
    /// `oldSize` entries, with their widths at `newSize`, ordered by level then index. These are
    /// exactly the tiles ``TiledTree/extend(from:appending:reader:hasher:)`` returns.
    ///
    /// - Precondition: `oldSize <= newSize`.
    public static func tiles(from oldSize: UInt64, to newSize: UInt64) -> [TileID] {
        precondition(oldSize <= newSize, "tiles(from: \(oldSize), to: \(newSize)): old size is larger")
        var out: [TileID] = []
        for level in 0...maxLevel {
            let shift = UInt64(height * level)
            let oldCount = oldSize >> shift
            let newCount = newSize >> shift
            if oldCount == newCount { break }  // nothing changes here, so nothing above either
            let first = oldCount / UInt64(fullWidth)
            let last = (newCount - 1) / UInt64(fullWidth)
            for n in first...last {
                let width = Int(min(UInt64(fullWidth), newCount - n * UInt64(fullWidth)))
                out.append(TileID(level: level, index: n, width: width))
            }
        }
        return out
    }

    /// Every entry bundle of a tree of `treeSize` entries: full bundles and, when `treeSize` is not a
    /// multiple of 256, one partial bundle.
    public static func entryBundles(forTreeSize treeSize: UInt64) -> [TileID] {
        let full = treeSize / UInt64(fullWidth)
        let rest = Int(treeSize % UInt64(fullWidth))
        var out = (0..<full).map { entryBundle(index: $0) }
        if rest > 0 { out.append(entryBundle(index: full, width: rest)) }
        return out
    }

    // MARK: - Path syntax

    private static func appendIndex(_ n: UInt64, to out: inout String) {
        var groups: [UInt64] = []
        var rest = n
        repeat {
            groups.append(rest % 1000)
            rest /= 1000
        } while rest > 0
        for (i, group) in groups.reversed().enumerated() {
            if i > 0 { out += "/" }
            if i < groups.count - 1 { out += "x" }
            if group < 100 { out += "0" }
            if group < 10 { out += "0" }
            out += String(group)
        }
    }

    /// Parses a tlog-tiles path such as `tile/0/x001/x234/067`, `tile/1/000.p/17` or
    /// `tile/entries/012.p/5`, strictly: exactly the canonical form ``path`` produces.
    ///
    /// The path must start with `tile/` (strip any URL prefix first) and have no query, no
    /// leading, trailing or doubled slashes. `<L>` is `entries` or a decimal 0...63 without leading
    /// zeros; `<N>` is 3-digit groups, all but the last prefixed with `x`, with no leading `x000`
    /// group; `<W>` is 1...255 without leading zeros. Coordinates that cannot occur in a tree of at
    /// most 2⁶⁴-1 entries (levels 8...63, an index beyond the end) are rejected too.
    ///
    /// - Throws: ``TilePathError`` naming the offending part; never traps on any input.
    public init(parsingPath text: some StringProtocol) throws(TilePathError) {
        let bytes = Array(text.utf8)
        func fail(_ message: String) -> TilePathError {
            TilePathError(path: String(String(text).prefix(200)), message: message)
        }
        func show(_ part: ArraySlice<UInt8>) -> String { String(decoding: part.prefix(40), as: UTF8.self) }
        func isDigits(_ part: ArraySlice<UInt8>) -> Bool {
            part.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        }
        func decimal(_ part: ArraySlice<UInt8>) -> UInt64 {
            part.reduce(0) { $0 * 10 + UInt64($1 - UInt8(ascii: "0")) }
        }

        guard bytes.count <= 128 else {
            throw fail("path is \(bytes.count) bytes long; no tile path is longer than 64 bytes")
        }
        let parts = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard let head = parts.first, head.elementsEqual("tile".utf8) else {
            throw fail("path must start with \"tile/\"")
        }
        if parts.contains(where: \.isEmpty) {
            throw fail("path has an empty element (a leading, trailing or doubled \"/\")")
        }
        guard parts.count >= 3 else {
            throw fail("path has no tile index after the level")
        }

        // <L>
        let levelPart = parts[1]
        let level: Int
        if levelPart.elementsEqual("entries".utf8) {
            level = TileID.entriesLevel
        } else {
            guard isDigits(levelPart) else {
                throw fail("level \"\(show(levelPart))\" is neither \"entries\" nor a decimal number 0...63")
            }
            guard levelPart.count == 1 || levelPart.first != UInt8(ascii: "0") else {
                throw fail("level \"\(show(levelPart))\" has a leading zero")
            }
            guard levelPart.count <= 2, decimal(levelPart) <= UInt64(TileID.maxPathLevel) else {
                throw fail("level \(show(levelPart)) is above the maximum 63")
            }
            level = Int(decimal(levelPart))
            guard level <= TileID.maxLevel else {
                throw fail(
                    "level \(level) cannot occur: a tree of at most 2^64-1 entries has tile levels 0...\(TileID.maxLevel)"
                )
            }
        }

        // [.p/<W>]
        var groups = Array(parts[2...])
        var width = TileID.fullWidth
        let partialSuffix = ".p".utf8
        if groups.count >= 2, groups[groups.count - 2].reversed().starts(with: partialSuffix.reversed()) {
            let widthPart = groups.removeLast()
            guard isDigits(widthPart) else {
                throw fail("width \"\(show(widthPart))\" after .p/ is not a decimal number")
            }
            guard widthPart.count == 1 || widthPart.first != UInt8(ascii: "0") else {
                throw fail("width \"\(show(widthPart))\" has a leading zero")
            }
            let value = widthPart.count <= 3 ? decimal(widthPart) : UInt64.max
            guard value != 0 else { throw fail("width 0 is invalid: a partial tile has 1 to 255 hashes") }
            guard value != UInt64(TileID.fullWidth) else {
                throw fail("width 256 is a full tile, whose path has no .p/<W> suffix")
            }
            guard value < UInt64(TileID.fullWidth) else {
                throw fail("width \(show(widthPart)) is above 255, the widest partial tile")
            }
            width = Int(value)
            groups[groups.count - 1] = groups[groups.count - 1].dropLast(partialSuffix.count)
        }

        // <N>
        var index: UInt64 = 0
        for (i, group) in groups.enumerated() {
            let isLast = i == groups.count - 1
            if group.contains(UInt8(ascii: ".")) {
                throw fail(
                    "element \"\(show(group))\" is misplaced or malformed: a partial tile ends in <N>.p/<W>")
            }
            let digits: ArraySlice<UInt8>
            if isLast {
                guard group.first != UInt8(ascii: "x") else {
                    throw fail("last index element \"\(show(group))\" must be 3 digits without an x prefix")
                }
                guard group.count == 3, isDigits(group) else {
                    throw fail("last index element \"\(show(group))\" must be exactly 3 digits, e.g. 067")
                }
                digits = group
            } else {
                guard group.first == UInt8(ascii: "x"), group.count == 4, isDigits(group.dropFirst()) else {
                    throw fail(
                        "index element \"\(show(group))\" must be x followed by 3 digits (e.g. x001): "
                            + "all but the last element of <N> carry the x prefix")
                }
                digits = group.dropFirst()
            }
            let value = decimal(digits)
            if i == 0 && !isLast && value == 0 {
                throw fail("index starts with the zero group \"x000\"; write <N> without leading zero groups")
            }
            let (shifted, o1) = index.multipliedReportingOverflow(by: 1000)
            let (sum, o2) = shifted.addingReportingOverflow(value)
            guard !o1 && !o2 else { throw fail("tile index does not fit in 64 bits") }
            index = sum
        }

        guard TileID.isValid(level: level, index: index, width: width) else {
            throw fail(
                "tile \(index) at level \(level) with width \(width) lies beyond the largest possible tree "
                    + "(2^64-1 entries)")
        }
        self.init(level: level, index: index, width: width)
    }
}
