import CSQLite
import EdgeLedgerCore

/// The quick integrity checks: what a seal builds on (the right edge of the tiles under the
/// latest signed checkpoint, and the unsealed entries) and SQLite's own structure check.
///
/// Each returns the damage it found (a ``VerificationFailure`` naming the tile, entry or
/// checkpoint, with the expected and the found value) and throws only when the store cannot be
/// read at all (I/O, busy): damage is a finding, not an error.
extension SQLiteConnection {
    /// The latest checkpoint as its signed note states it.
    package struct SignedHead: Sendable {
        var size: UInt64
        var root: Hash32
    }

    /// SQLite's `PRAGMA quick_check(10)`: the problems it lists (empty when the file is sound).
    package func quickCheckProblems() throws(StoreError) -> [String] {
        let s = try prepare("PRAGMA quick_check(10)")
        var problems: [String] = []
        while try s.step("checking the file structure of \(path)") {
            if let line = s.text(0), line != "ok" { problems.append(line) }
        }
        return problems
    }

    /// The latest checkpoint's size and root as its signed note names them, after checking that
    /// the stored row agrees with its note. `.success(nil)` when there is no checkpoint.
    package func signedHead() throws(StoreError) -> Result<SignedHead?, VerificationFailure> {
        let s = try statement("SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1")
        defer { s.reset() }
        guard try s.step("reading the latest checkpoint") else { return .success(nil) }
        let size = s.uint64(0)
        let place = VerificationFailure.Place.checkpoint(size: size)
        guard let stored = s.hash(1) else {
            return .failure(VerificationFailure(place, "stored root is malformed (expected 32 bytes)"))
        }
        guard let text = s.text(2) else { return .failure(VerificationFailure(place, "signed note is missing")) }
        let body: Checkpoint
        do {
            body = try Checkpoint(parsing: try Note(parsing: text).text)
        } catch {
            return .failure(VerificationFailure(place, "signed note is malformed: \(error)"))
        }
        guard body.size == size else {
            return .failure(VerificationFailure(place, "signed note names size \(body.size), the row says \(size)"))
        }
        guard body.root == stored else {
            return .failure(
                VerificationFailure(place, "stored root \(stored) differs from the signed note's root \(body.root)"))
        }
        return .success(SignedHead(size: size, root: body.root))
    }

    /// Recomputes the latest signed checkpoint's root from the stored hash tiles — exactly the
    /// right-edge hashes a seal extends — and compares it with the root its note signs.
    ///
    /// - Returns: the signed head when the tiles reproduce it (`nil` for an empty log), or the
    ///   damage, located to a tile (or entry) when one of the right edge's hashes is wrong.
    package func checkSignedRightEdge(
        hasher: any MerkleHasher
    ) throws(StoreError) -> Result<SignedHead?, VerificationFailure> {
        let head: SignedHead
        switch try signedHead() {
        case .failure(let damage): return .failure(damage)
        case .success(nil): return .success(nil)
        case .success(let found?): head = found
        }
        let recomputed: Hash32
        do {
            recomputed = try TiledTree.rootHash(
                size: head.size, reader: SQLiteTileReader(connection: self), hasher: hasher)
        } catch let error as StoreError where error.kind != .missing && error.kind != .corrupt {
            throw error
        } catch {
            if let damage = try rightEdgeDamage(size: head.size, hasher: hasher) { return .failure(damage) }
            return .failure(
                VerificationFailure(
                    .checkpoint(size: head.size), "its root cannot be recomputed from the stored tiles: \(error)"))
        }
        guard recomputed == head.root else {
            if let damage = try rightEdgeDamage(size: head.size, hasher: hasher) { return .failure(damage) }
            return .failure(
                VerificationFailure(
                    .checkpoint(size: head.size),
                    "the stored tiles give root \(recomputed), the signed note names \(head.root); the right-edge "
                        + "tiles agree with what lies below them, so a tile further left is damaged"))
        }
        return .success(head)
    }

    /// Locates a bad right-edge hash of the tree of `size`: each level's partial tile is
    /// compared with what lies below it (level 0 with the entries' bytes, level L with the hashes
    /// of the full tiles of level L−1). `nil` when every right-edge tile agrees.
    package func rightEdgeDamage(size: UInt64, hasher: any MerkleHasher) throws(StoreError) -> VerificationFailure? {
        for (level, index, kept) in Self.rightEdge(size: size) {
            let place = VerificationFailure.Place.tile(level: level, index: index)
            let stored: [Hash32]
            switch try storedTile(level: level, index: index) {
            case .failure(let damage): return damage
            case .success(nil):
                return VerificationFailure(place, "missing (the checkpoint at size \(size) needs \(kept) hashes)")
            case .success(let found?): stored = found
            }
            guard stored.count >= kept else {
                return VerificationFailure(
                    place, "holds \(stored.count) hashes, the checkpoint at size \(size) needs \(kept)")
            }
            if let damage = try compareWithBelow(level: level, index: index, stored[0..<kept], hasher: hasher) {
                return damage
            }
        }
        return nil
    }

    /// Checks the full tiles directly below the right edge of the tree of `size` — the newest
    /// full tiles of each level, up to 255 per level — against the right-edge hashes above them,
    /// which ``checkSignedRightEdge(hasher:)`` confirmed through the signed root.
    package func newestFullTilesDamage(
        size: UInt64, hasher: any MerkleHasher
    ) throws(StoreError) -> VerificationFailure? {
        for (level, edgeIndex, kept) in Self.rightEdge(size: size) where level > 0 {
            guard let above = try tileHashes(level: level, index: edgeIndex), above.count >= kept else { continue }
            for k in 0..<kept {
                let index = edgeIndex * UInt64(TileID.fullWidth) + UInt64(k)
                let (hash, problem) = try fullTileHash(level: level - 1, index: index, hasher: hasher)
                let place = VerificationFailure.Place.tile(level: level - 1, index: index)
                guard let hash else { return VerificationFailure(place, problem ?? "unreadable") }
                if hash != above[k] {
                    if let deeper = try fullTileDamage(level: level - 1, index: index, hasher: hasher) { return deeper }
                    return VerificationFailure(
                        place,
                        "hashes to \(hash), but hash \(k) of tile \(level)/\(edgeIndex), confirmed by the "
                            + "signed root, is \(above[k])")
                }
            }
        }
        return nil
    }

    /// The right edge of the tree of `size`: for each tile level, its partial tile and how many
    /// hashes that tile holds at this size (levels whose tiles are all full are left out).
    package static func rightEdge(size: UInt64) -> [(level: Int, index: UInt64, kept: Int)] {
        var edge: [(level: Int, index: UInt64, kept: Int)] = []
        for level in 0...TileID.maxLevel {
            let count = size >> UInt64(level * TileID.height)
            if count == 0 { break }
            let kept = Int(count % UInt64(TileID.fullWidth))
            if kept > 0 { edge.append((level, count / UInt64(TileID.fullWidth), kept)) }
        }
        return edge
    }

    /// Compares the full tile `level`/`index` with what lies below it (the entries' bytes at
    /// level 0), descending into the first lower tile that disagrees; `nil` when it agrees.
    package func fullTileDamage(
        level: Int, index: UInt64, hasher: any MerkleHasher
    ) throws(StoreError) -> VerificationFailure? {
        switch try storedTile(level: level, index: index) {
        case .failure(let damage): return damage
        case .success(let stored?) where stored.count == TileID.fullWidth:
            return try compareWithBelow(level: level, index: index, stored[...], hasher: hasher)
        case .success(let stored):
            return VerificationFailure(
                .tile(level: level, index: index), "missing or not full (\(stored?.count ?? 0) hashes)")
        }
    }

    /// Compares the first hashes of tile `level`/`index` with what lies below them (the entries'
    /// bytes at level 0, the full tiles of the level below above that), descending into a lower
    /// tile that disagrees with what lies below it; `nil` when they agree.
    private func compareWithBelow(
        level: Int, index: UInt64, _ stored: ArraySlice<Hash32>, hasher: any MerkleHasher
    ) throws(StoreError) -> VerificationFailure? {
        let place = VerificationFailure.Place.tile(level: level, index: index)
        for (k, hash) in stored.enumerated() {
            let position = index * UInt64(TileID.fullWidth) + UInt64(k)
            let (expected, source) =
                level == 0
                ? try entryLeafHash(position, hasher: hasher)
                : try fullTileHash(level: level - 1, index: position, hasher: hasher)
            guard let expected else { return source.map { VerificationFailure(place, $0) } }
            guard hash != expected else { continue }
            if level > 0, let deeper = try fullTileDamage(level: level - 1, index: position, hasher: hasher) {
                return deeper
            }
            return VerificationFailure(
                place, "hash \(k) is \(hash), expected \(expected) from \(source ?? "the level below")")
        }
        return nil
    }

    /// The stored hashes of tile `level`/`index` (`nil` when absent), or the damage when its
    /// row is malformed.
    private func storedTile(level: Int, index: UInt64) throws(StoreError) -> Result<[Hash32]?, VerificationFailure> {
        do {
            return .success(try tileHashes(level: level, index: index))
        } catch  where error.kind == .corrupt {
            return .failure(VerificationFailure(.tile(level: level, index: index), error.message))
        }
    }

    /// The leaf hash of entry `index` from its bytes (its stored leaf hash once pruned), and
    /// where it came from; `(nil, problem)` when neither is usable.
    private func entryLeafHash(_ index: UInt64, hasher: any MerkleHasher) throws(StoreError) -> (Hash32?, String?) {
        let s = try statement("SELECT entry, leaf_hash FROM entries WHERE idx = ?1")
        defer { s.reset() }
        s.bind(1, Int64(clamping: index))
        guard try s.step("reading entry \(index)") else { return (nil, "entry \(index) is missing") }
        if let bytes = s.blobPointer(0) { return (hasher.leafHash(bytes), "entry \(index)'s bytes") }
        guard let stored = s.hash(1) else { return (nil, "entry \(index) has neither bytes nor a leaf hash") }
        return (stored, "entry \(index)'s stored leaf hash (payload pruned)")
    }

    /// The hash of the full tile `level`/`index` (the node one tile level up).
    private func fullTileHash(
        level: Int, index: UInt64, hasher: any MerkleHasher
    ) throws(StoreError) -> (
        Hash32?, String?
    ) {
        guard case .success(let hashes) = try storedTile(level: level, index: index) else {
            return (nil, "tile \(level)/\(index) below it is malformed")
        }
        guard let hashes, hashes.count == TileID.fullWidth else {
            return (nil, "tile \(level)/\(index) below it is missing or not full")
        }
        return (Merkle.rootHash(hashes, hasher: hasher), "tile \(level)/\(index)")
    }

    /// Reads the leaf hashes of entries `from ..< to` and checks each against the entry it
    /// hashes: the entry is present with its bytes (unsealed entries are never pruned), carries
    /// its own index, and `H(0x00 || bytes)` equals the stored leaf hash.
    ///
    /// - Returns: the leaf hashes, or the first damaged entry.
    package func checkedLeafHashes(
        from: UInt64, to: UInt64, hasher: any MerkleHasher
    ) throws(StoreError) -> Result<[Hash32], VerificationFailure> {
        var out: [Hash32] = []
        if to > from { out.reserveCapacity(Int(min(to - from, 1 << 24))) }
        var expected = from
        var damage: VerificationFailure?
        try forEachStoredEntry(from: from, to: to) { (index, bytes, hash) throws(StoreError) in
            guard damage == nil else { return }
            damage = Self.leafDamage(index: index, expected: expected, bytes: bytes, hash: hash, hasher: hasher)
            if damage == nil, let hash {
                out.append(Hash32 { $0.copyMemory(from: hash) })
                expected += 1
            }
        }
        if let damage { return .failure(damage) }
        guard expected == to else {
            return .failure(VerificationFailure(.entry(expected), "missing (entries reach \(to - 1))"))
        }
        return .success(out)
    }

    private static func leafDamage(
        index: UInt64, expected: UInt64, bytes: UnsafeRawBufferPointer?, hash: UnsafeRawBufferPointer?,
        hasher: any MerkleHasher
    ) -> VerificationFailure? {
        guard index == expected else {
            return VerificationFailure(.entry(expected), "missing (the next stored entry is \(index))")
        }
        let place = VerificationFailure.Place.entry(index)
        guard let hash, hash.count == 32 else {
            return VerificationFailure(place, "stored leaf hash is malformed (\(hash?.count ?? 0) bytes, expected 32)")
        }
        guard let bytes else { return VerificationFailure(place, "payload is missing although it is not sealed") }
        // Format v1: the entry's own index is the big-endian u64 at offset 2 (docs/FORMAT.md).
        guard bytes.count >= 10 else { return VerificationFailure(place, "entry bytes are truncated") }
        let carried = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt64.self))
        guard carried == index else {
            return VerificationFailure(place, "carries index \(carried), not its position \(index)")
        }
        let stored = Hash32 { $0.copyMemory(from: hash) }
        let computed = hasher.leafHash(bytes)
        guard computed == stored else {
            return VerificationFailure(
                place, "leaf hash mismatch (stored \(stored), the entry's bytes hash to \(computed))")
        }
        return nil
    }
}
