import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore

/// Building the served objects from the store, checked against the verified tree, and the files
/// they are kept in.
extension CollectedLogServer {
    /// The full tile or bundle `id` of `log`: from its file, or built (once for every concurrent
    /// read), checked and written.
    func fullObject(
        _ log: CollectorGatewayState, _ id: TileID
    ) async throws(LogServingError) -> ([UInt8], ServedObject.Source) {
        let file = files.file(originHash: Self.originHash(log.origin), path: id.path)
        switch try await files.read(file) {
        case .object(let bytes): return (bytes, .file)
        case .damaged(let problem): reportDamage(file, problem)
        case .missing: break
        }
        let (bytes, _) = try await flights.run(file) { [self] () throws(LogServingError) -> [UInt8] in
            let bytes = try await build(log, id)
            try await files.write(file, bytes)
            return bytes
        }
        return (bytes, .built)
    }

    /// The gzip encoding of the full bundle `id` (`bytes`), from its own file (`<path>.gz`), or
    /// compressed and written.
    func gzipped(
        _ log: CollectorGatewayState, _ id: TileID, _ bytes: [UInt8]
    ) async throws(LogServingError) -> [UInt8] {
        let file = files.file(originHash: Self.originHash(log.origin), path: id.path) + ".gz"
        switch try await files.read(file) {
        case .object(let compressed): return compressed
        case .damaged(let problem): reportDamage(file, problem)
        case .missing: break
        }
        let compressed = try Self.gzip(bytes, id)
        try await files.write(file, compressed)
        return compressed
    }

    private func reportDamage(_ file: String, _ problem: String) {
        metrics?.damagedFiles.increment()
        logger.error(
            "a tile file was damaged on disk; it was removed and is rebuilt from the store",
            metadata: ["file": "\(file)", "problem": "\(problem)"])
    }

    /// Builds `id` of `log` from the store: a bundle whose entries hash to the stored level-0
    /// tile, or a hash tile whose subtree root (when full) is the hash the tile above holds.
    func build(_ log: CollectorGatewayState, _ id: TileID) async throws(LogServingError) -> [UInt8] {
        let hasher: OpenSSLHasher
        do {
            hasher = try OpenSSLHasher(log.hashAlgorithm)
        } catch {
            throw LogServingError(.failed, "\(log.origin) is hashed with \(log.hashAlgorithm.rawValue): \(error)")
        }
        let what = "\(id.path) of \(log.origin)"
        let damaged =
            "the upstream store is damaged: stop serving it, restore it from a backup or collect the log again"
        if id.isEntryBundle {
            let found: (entries: [[UInt8]], leaves: [Hash32]?)
            do {
                found = try await store.bundleWithLeafHashes(gateway: log.id, index: id.index, width: id.width)
            } catch {
                throw Self.failure(error, "reading \(what)")
            }
            guard found.entries.count == id.width, let leaves = found.leaves, leaves.count >= id.width else {
                throw LogServingError(
                    .failed,
                    "the store holds \(found.entries.count) entries and \(found.leaves?.count ?? 0) leaf hashes "
                        + "for \(what), inside the verified tree of size \(log.verifiedSize)", hint: damaged)
            }
            for (i, entry) in found.entries.enumerated() where hasher.leafHash(entry) != leaves[i] {
                throw LogServingError(
                    .failed,
                    "entry \(id.hashRange.lowerBound + UInt64(i)) of \(log.origin) hashes to "
                        + "\(hasher.leafHash(entry)), but the verified level-0 tile says \(leaves[i])", hint: damaged)
            }
            return CollectorBundle.encode(found.entries)
        }
        let found: (tile: [Hash32]?, parent: [Hash32]?)
        do {
            found = try await store.tileWithParent(gateway: log.id, level: id.level, index: id.index)
        } catch {
            throw Self.failure(error, "reading \(what)")
        }
        guard let tile = found.tile, tile.count >= id.width else {
            throw LogServingError(
                .failed, "the store holds \(found.tile?.count ?? 0) of the \(id.width) hashes of \(what)", hint: damaged
            )
        }
        let hashes = tile.prefix(id.width)
        if !id.isPartial {
            let position = Int(id.index % UInt64(TileID.fullWidth))
            guard let parent = found.parent, parent.count > position else {
                throw LogServingError(
                    .failed, "the tile above \(what) lacks the hash of its subtree", hint: damaged)
            }
            let root = Merkle.rootHash(hashes, hasher: hasher)
            guard root == parent[position] else {
                throw LogServingError(
                    .failed,
                    "the hashes of \(what) give the subtree root \(root), but the tile above holds \(parent[position])",
                    hint: damaged)
            }
        }
        return Hash32.concatenated(hashes)
    }

    /// The first `id.width` hashes or entries of a full tile or bundle.
    static func prefix(of full: [UInt8], _ id: TileID) throws(LogServingError) -> [UInt8] {
        if !id.isEntryBundle { return Array(full.prefix(id.width * 32)) }
        let ranges = full.withUnsafeBytes { CollectorBundle.split($0, width: TileID.fullWidth) }
        guard let ranges else {
            throw LogServingError(.failed, "the full bundle behind \(id.path) is malformed")
        }
        return Array(full[0..<ranges[id.width - 1].upperBound])
    }

    /// `bytes` gzip-encoded.
    static func gzip(_ bytes: [UInt8], _ id: TileID) throws(LogServingError) -> [UInt8] {
        guard let compressed = Gzip.compress(bytes) else {
            throw LogServingError(.failed, "cannot gzip \(id.path): zlib failed (out of memory?)")
        }
        return compressed
    }
}
