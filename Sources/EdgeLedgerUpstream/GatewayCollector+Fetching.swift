import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import ServiceLifecycle
import Synchronization

/// Fetching a gateway's tiles and entry bundles and staging what verifies.
extension GatewayCollector {
    /// Fetches the entries from the staged size to the checkpoint's, verifies them against the
    /// gateway's tiles and the checkpoint root, and stores them; returns how many were fetched.
    func fetchAndStage(
        _ state: CollectorGatewayState, checkpoint: Checkpoint, collected: CollectedCheckpoint, document: String?,
        served: [TileKey: [Hash32]]
    ) async throws -> (UInt64, Duration) {
        let start = state.stagedSize
        let size = checkpoint.size
        // The hash tiles above level 0 that each batch changes, as the gateway serves them at the
        // new size: fetched batch by batch (a level-1 tile covers 65,536 entries, so most batches
        // fetch none), never listed for the whole claimed size.
        var upper = served

        let first = start / UInt64(TileID.fullWidth)
        let last = (size - 1) / UInt64(TileID.fullWidth)
        var staged = start
        var verifying = Duration.zero
        try await withThrowingTaskGroup(of: (UInt64, FetchedBundle).self) { group in
            var nextToFetch = first
            var nextToProcess = first
            var ready: [UInt64: FetchedBundle] = [:]
            var inFlight = 0
            var batch = CollectorEntryBatch(reservingBytes: 1 << 20, entries: batchBundles * TileID.fullWidth)
            var leaves: [Hash32] = []
            var level0: [TileKey: [Hash32]] = [:]
            var bundlesInBatch = 0
            var warnedUnusual = false
            while inFlight < parallelFetches && nextToFetch <= last {
                let b = nextToFetch
                group.addTask { (b, try await self.fetchBundle(b, treeSize: size)) }
                nextToFetch += 1
                inFlight += 1
            }
            while let (b, fetched) = try await group.next() {
                inFlight -= 1
                ready[b] = fetched
                while inFlight < parallelFetches && nextToFetch <= last {
                    let n = nextToFetch
                    group.addTask { (n, try await self.fetchBundle(n, treeSize: size)) }
                    nextToFetch += 1
                    inFlight += 1
                }
                while let f = ready.removeValue(forKey: nextToProcess) {
                    let started = ContinuousClock.now
                    defer { verifying += ContinuousClock.now - started }
                    let skip = nextToProcess == first ? Int(start - first * UInt64(TileID.fullWidth)) : 0
                    if let index = try TileParsing.bundle(
                        f.bundle, id: f.bundleID, skip: skip, hasher: hasher, into: &batch, leafHashes: &leaves),
                        !warnedUnusual
                    {
                        warnedUnusual = true
                        logger.warning(
                            """
                            entry \(index) is not an EdgeLedger format-v1 entry carrying its own index; stored as \
                            served (the signed tree commits to it), but the gateway may be misconfigured
                            """,
                            metadata: ["bundle": "\(f.bundleID.path)"])
                    }
                    level0[TileKey(level: 0, index: nextToProcess)] = f.tile
                    nextToProcess += 1
                    bundlesInBatch += 1
                    if bundlesInBatch == batchBundles || nextToProcess > last {
                        let complete = nextToProcess > last
                        let from = staged
                        let keys = Set(
                            TileID.tiles(from: from, to: from + UInt64(leaves.count)).filter { $0.level >= 1 }.map {
                                TileKey(level: $0.level, index: $0.index)
                            })
                        upper = upper.filter { keys.contains($0.key) }
                        let missing = keys.filter { upper[$0] == nil }.sorted {
                            ($0.level, $0.index) < ($1.level, $1.index)
                        }
                        for (key, hashes) in try await fetchTiles(missing, treeSize: size) { upper[key] = hashes }
                        let upperTiles = upper
                        let level0Tiles = level0
                        // Verified when the batch that completes the checkpoint is stored, not when
                        // the pull began (a catch-up takes seconds).
                        var verified = collected
                        verified.verifiedAt = SystemClock.nowNanoseconds()
                        let ext = try await store.stage(
                            gateway: state.id, stagedSize: from, entries: batch, leafHashes: leaves, hasher: hasher,
                            check: { ext in
                                try Self.compare(ext, level0: level0Tiles, upper: upperTiles, stagedFrom: from)
                                if complete && ext.root != checkpoint.root {
                                    throw CollectorRefusal(
                                        what: "root mismatch", location: "checkpoint size \(size)",
                                        detail: "the entries and tiles served give root \(ext.root), but the signed "
                                            + "checkpoint says \(checkpoint.root)",
                                        discardStaged: true)
                                }
                            },
                            complete: complete ? verified : nil, anchorDocument: complete ? document : nil,
                            lease: lease)
                        staged = ext.newSize
                        batch = CollectorEntryBatch(reservingBytes: 1 << 20, entries: batchBundles * TileID.fullWidth)
                        leaves.removeAll(keepingCapacity: true)
                        level0.removeAll(keepingCapacity: true)
                        bundlesInBatch = 0
                    }
                }
            }
        }
        return (staged - start, verifying)
    }

    /// Compares the tiles computed from the entries with the ones the gateway served.
    static func compare(
        _ ext: TileExtension, level0: [TileKey: [Hash32]], upper: [TileKey: [Hash32]], stagedFrom: UInt64
    ) throws(CollectorRefusal) {
        for tile in ext.tiles {
            let key = TileKey(level: tile.id.level, index: tile.id.index)
            guard let served = tile.id.level == 0 ? level0[key] : upper[key], served.count >= tile.hashes.count else {
                throw CollectorRefusal(
                    what: "missing hash tile", location: tile.id.path,
                    detail: "the gateway did not serve this tile at the width the entries need")
            }
            for p in 0..<tile.hashes.count where tile.hashes[p] != served[p] {
                let path = TileID(level: tile.id.level, index: tile.id.index, width: served.count).path
                let entries = coveredEntries(level: tile.id.level, index: tile.id.index, position: p)
                let firstEntry = (tile.id.index * 256 + UInt64(p)) << UInt64(TileID.height * tile.id.level)
                if tile.id.level == 0 {
                    throw CollectorRefusal(
                        what: "tampered entry or hash tile refused",
                        location: "\(TileID.entryBundle(index: tile.id.index, width: served.count).path) and \(path)",
                        detail: "entry \(firstEntry) hashes to \(tile.hashes[p]), but the hash tile says \(served[p])",
                        discardStaged: firstEntry < stagedFrom)
                }
                throw CollectorRefusal(
                    what: "tampered hash tile refused", location: path,
                    detail:
                        "position \(p) (entries \(entries)) is \(served[p]), but the entries give \(tile.hashes[p])",
                    discardStaged: firstEntry < stagedFrom)
            }
        }
    }

    static func coveredEntries(level: Int, index: UInt64, position: Int) -> String {
        let shift = UInt64(TileID.height * level)
        let first = (index &* 256 &+ UInt64(position)) << shift
        return "\(first)..<\(first &+ (1 << shift))"
    }

    // MARK: - Fetching

    struct FetchedBundle: Sendable {
        var bundleID: TileID
        var bundle: [UInt8]
        var tile: [Hash32]
    }

    /// Entry bundle `index` and its level-0 hash tile, at their widths in a tree of `treeSize`.
    func fetchBundle(_ index: UInt64, treeSize: UInt64) async throws -> FetchedBundle {
        let width = TileWidths.width(level: 0, index: index, treeSize: treeSize)
        let bundleID = TileID.entryBundle(index: index, width: width)
        let tileID = TileID(level: 0, index: index, width: width)
        async let tileResponse = client.get(tileID.path, limit: width * 32)
        let bundle = try await client.get(bundleID.path, limit: width * (2 + Entry.maximumEncodedSize))
        try GatewayHTTPFailure.check(bundle, request: "GET /\(bundleID.path)")
        let tile = try await tileResponse
        try GatewayHTTPFailure.check(tile, request: "GET /\(tileID.path)")
        return FetchedBundle(
            bundleID: bundleID, bundle: bundle.body, tile: try TileParsing.hashes(tile.body, id: tileID))
    }

    /// The given hash tiles at their widths in a tree of `treeSize`, fetched in parallel.
    func fetchTiles(_ keys: [TileKey], treeSize: UInt64) async throws -> [TileKey: [Hash32]] {
        try await withThrowingTaskGroup(of: (TileKey, [Hash32]).self) { group in
            var out: [TileKey: [Hash32]] = [:]
            var pending = keys[...]
            var inFlight = 0
            while true {
                while inFlight < parallelFetches, let key = pending.popFirst() {
                    let width = TileWidths.width(level: key.level, index: key.index, treeSize: treeSize)
                    let id = TileID(level: key.level, index: key.index, width: width)
                    group.addTask {
                        let response = try await self.client.get(id.path, limit: width * 32)
                        try GatewayHTTPFailure.check(response, request: "GET /\(id.path)")
                        return (key, try TileParsing.hashes(response.body, id: id))
                    }
                    inFlight += 1
                }
                guard let (key, hashes) = try await group.next() else { break }
                inFlight -= 1
                out[key] = hashes
            }
            return out
        }
    }
}
