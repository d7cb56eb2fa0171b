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
    ///
    /// Three stages overlap: up to ``parallelFetches`` bundle fetches (and, ahead of them, the
    /// hash tiles above level 0 that their entries change), parsing and hashing the next batch,
    /// and storing the previous one (one store transaction at a time, in order, each extending the
    /// size the one before it left). What waits is bounded, in bundles and in bytes: twice
    /// ``parallelFetches`` bundles fetched or in flight, no new fetch while twice ``batchBytes``
    /// are fetched and not parsed, and two assembled batches of at most ``batchBundles`` bundles
    /// or ``batchBytes`` each. Across collectors, the bytes fetched and not stored yet count
    /// against the instance's ``CollectorMemoryBudget`` (see there), reserved before each fetch.
    func fetchAndStage(
        _ state: CollectorGatewayState, checkpoint: Checkpoint, collected: CollectedCheckpoint, document: String?,
        served: [TileKey: [Hash32]]
    ) async throws -> (UInt64, Duration) {
        let start = state.stagedSize
        let size = checkpoint.size
        // The hash tiles above level 0 that the entries change, as the gateway serves them at the
        // new size: requested as the bundle fetches reach them (a level-1 tile covers 65,536
        // entries, so most bundles need none new), never listed for the whole claimed size, and
        // dropped once the batches have passed them.
        var upper = served
        var requested = Set(served.keys)

        let first = start / UInt64(TileID.fullWidth)
        let last = (size - 1) / UInt64(TileID.fullWidth)
        var staged = start
        var verifying = Duration.zero
        // Bytes this pull holds in the instance's budget (reserved for fetches in flight, fetched
        // and not stored yet): given back as batches are stored, and whatever is left at the end.
        var accounted = 0
        defer { fetchBudget?.release(accounted) }
        try await withThrowingTaskGroup(of: FetchStep.self) { group in
            var nextToFetch = first
            var nextToProcess = first
            var ready: [UInt64: FetchedBundle] = [:]
            var readyBytes = 0
            var inFlight = 0
            // Each fetch's reservation; bundles larger than theirs, to fetch again; the reservation
            // per entry (from the last pull, raised by what this one sees), and what this one saw:
            // the next pull starts from that, so one pull of large entries does not make every
            // later one reserve for them.
            var reservations: [UInt64: Int] = [:]
            var refetch: [UInt64] = []
            var entryEstimate = entryEstimateOfLastPull.withLock { $0 }
            var seenEstimate: Int?
            func saw(_ estimate: Int) {
                entryEstimate = max(entryEstimate, estimate)
                seenEstimate = max(seenEstimate ?? Self.initialEntryEstimate, estimate)
            }
            defer { entryEstimateOfLastPull.withLock { $0 = seenEstimate ?? entryEstimate } }
            func giveBack(_ bytes: Int) {
                fetchBudget?.release(bytes)
                accounted -= bytes
            }
            // A bundle fetch is over: what it reserved beyond the `kept` bytes it brought goes back.
            func settle(_ b: UInt64, keeping kept: Int = 0) {
                inFlight -= 1
                giveBack((reservations.removeValue(forKey: b) ?? 0) - kept)
            }
            var storingBytes = 0
            var assembling = AssembledBatch(from: start, capacity: batchBundles)
            // A complete batch whose upper tiles are still on their way.
            var held: AssembledBatch?
            var waiting: [AssembledBatch] = []
            var storing = false
            var warnedUnusual = false
            // A bundle or tile that could not be fetched or parsed: nothing after it is assembled,
            // the batches before it are still stored, then it is thrown.
            var failure: (any Error)?
            // Fetches the upper tiles among `keys` not requested yet, as steps of the group.
            func request(_ keys: [TileKey]) {
                for key in keys where requested.insert(key).inserted {
                    group.addTask { await self.fetchUpper(key, treeSize: size) }
                }
            }
            // Moves the held batch on once its upper tiles are in (and forgets the tiles before it).
            func release() {
                guard var batch = held, batch.upperKeys.allSatisfy({ upper[$0] != nil }) else { return }
                upper = upper.filter { $0.key.end > batch.from }
                batch.upper = upper
                waiting.append(batch)
                held = nil
            }
            while true {
                release()
                while failure == nil, held == nil, waiting.count < 2,
                    let f = ready.removeValue(forKey: nextToProcess)
                {
                    readyBytes -= f.bundle.count
                    assembling.budgetBytes += f.bundle.count
                    let started = ContinuousClock.now
                    defer { verifying += ContinuousClock.now - started }
                    let skip = nextToProcess == first ? Int(start - first * UInt64(TileID.fullWidth)) : 0
                    let unusual: UInt64?
                    do {
                        unusual = try TileParsing.bundle(
                            f.bundle, id: f.bundleID, skip: skip, hasher: hasher, into: &assembling.entries,
                            leafHashes: &assembling.leaves)
                    } catch {
                        failure = error
                        break
                    }
                    if let index = unusual, !warnedUnusual {
                        warnedUnusual = true
                        logger.warning(
                            """
                            entry \(index) is not an EdgeLedger format-v1 entry carrying its own index; stored as \
                            served (the signed tree commits to it), but the gateway may be misconfigured
                            """,
                            metadata: ["bundle": "\(f.bundleID.path)"])
                    }
                    assembling.level0[TileKey(level: 0, index: nextToProcess)] = f.tile
                    nextToProcess += 1
                    assembling.bundles += 1
                    guard
                        assembling.bundles == batchBundles || assembling.entries.bytes.count >= batchBytes
                            || nextToProcess > last
                    else { continue }
                    assembling.complete = nextToProcess > last
                    assembling.upperKeys = Self.upperKeys(from: assembling.from, to: assembling.end)
                    request(assembling.upperKeys)
                    held = assembling
                    assembling = AssembledBatch(from: assembling.end, capacity: batchBundles)
                    release()
                }
                if !storing, !waiting.isEmpty {
                    let batch = waiting.removeFirst()
                    storingBytes = batch.budgetBytes
                    group.addTask {
                        .stored(
                            try await self.store(
                                batch, state: state, checkpoint: checkpoint, collected: collected, document: document))
                    }
                    storing = true
                }
                // Refill after processing: what was just parsed freed room in the window.
                while failure == nil {
                    // A bundle fetched again first, whatever the window holds: processing waits on it.
                    let b: UInt64
                    if let again = refetch.min() {
                        b = again
                    } else if nextToFetch <= last, inFlight < parallelFetches,
                        inFlight + ready.count < 2 * parallelFetches, readyBytes < 2 * batchBytes
                    {
                        b = nextToFetch
                    } else {
                        break
                    }
                    // Past the budget, only a pull with nothing else in progress fetches (one bundle).
                    let limit =
                        fetchBudget == nil
                        ? Self.largestBundle(width: TileWidths.width(level: 0, index: b, treeSize: size))
                        : Self.bundleReservation(b, treeSize: size, entryEstimate: entryEstimate)
                    if let fetchBudget, !fetchBudget.reserve(limit, force: group.isEmpty) { break }
                    accounted += limit
                    reservations[b] = limit
                    group.addTask {
                        do {
                            return .fetched(b, try await self.fetchBundle(b, treeSize: size, limit: limit))
                        } catch let error as OverReservation {
                            return .overReservation(b, error.announced ?? 2 * error.limit)
                        } catch {
                            return .failed(b, error)
                        }
                    }
                    if let i = refetch.firstIndex(of: b) {
                        refetch.remove(at: i)
                    } else {
                        // The upper tiles this bundle's entries change, ahead of the batch that needs them.
                        request(
                            Self.upperKeys(
                                from: max(start, b * UInt64(TileID.fullWidth)),
                                to: min(size, (b + 1) * UInt64(TileID.fullWidth))))
                        nextToFetch += 1
                    }
                    inFlight += 1
                }
                guard let step = try await group.next() else { break }
                switch step {
                case .fetched(let b, let fetched):
                    settle(b, keeping: fetched.bundle.count)
                    saw(Self.entryEstimate(bytes: fetched.bundle.count, width: fetched.bundleID.width))
                    ready[b] = fetched
                    readyBytes += fetched.bundle.count
                case .overReservation(let b, let needed):
                    // Fetched again with the reservation its Content-Length announced, otherwise
                    // twice the last (up to the largest entries).
                    settle(b)
                    let width = TileWidths.width(level: 0, index: b, treeSize: size)
                    saw(needed / max(1, width) + 1)
                    refetch.append(b)
                case .fetchedTile(let key, let hashes):
                    upper[key] = hashes
                case .stored(let newSize):
                    staged = newSize
                    storing = false
                    giveBack(storingBytes)
                    storingBytes = 0
                case .failed(let b, let error):
                    settle(b)
                    if failure == nil { failure = error }
                case .failedTile(let error):
                    if failure == nil { failure = error }
                }
            }
            if let failure { throw failure }
            // Nothing left in flight must mean everything was fetched, parsed and stored: never
            // report a pull verified that stopped short.
            guard nextToProcess > last, held == nil, waiting.isEmpty, !storing, staged == size else {
                throw UpstreamError(
                    "the collection of \(origin) stopped at \(staged) of \(size) entries without an error",
                    hint: "a defect in the collector; the next pull resumes from the staged entries")
            }
        }
        return (staged - start, verifying)
    }

    /// The hash tiles above level 0 that entries `from..<to` change.
    static func upperKeys(from: UInt64, to: UInt64) -> [TileKey] {
        TileID.tiles(from: from, to: to).filter { $0.level >= 1 }.map { TileKey(level: $0.level, index: $0.index) }
    }

    /// Hash tile `key` at its width in a tree of `treeSize`, as a step.
    func fetchUpper(_ key: TileKey, treeSize: UInt64) async -> FetchStep {
        do {
            return .fetchedTile(key, try await fetchTile(key, treeSize: treeSize))
        } catch {
            return .failedTile(error)
        }
    }

    /// One step of ``fetchAndStage(_:checkpoint:collected:document:served:)``.
    enum FetchStep: Sendable {
        case fetched(UInt64, FetchedBundle)
        /// The bundle is larger than the bytes reserved for it: how many to reserve next.
        case overReservation(UInt64, Int)
        case failed(UInt64, any Error)
        case fetchedTile(TileKey, [Hash32])
        case failedTile(any Error)
        case stored(UInt64)
    }

    /// Entries parsed and hashed, with the tiles the gateway served over them, ready to store.
    struct AssembledBatch: Sendable {
        /// The staged size the batch extends.
        var from: UInt64
        var entries: CollectorEntryBatch
        var leaves: [Hash32] = []
        var level0: [TileKey: [Hash32]] = [:]
        var upper: [TileKey: [Hash32]] = [:]
        /// The hash tiles above level 0 the batch changes (set when it is complete).
        var upperKeys: [TileKey] = []
        var bundles = 0
        /// The bundle bytes it holds in the instance's ``CollectorMemoryBudget``.
        var budgetBytes = 0
        /// Whether the batch reaches the checkpoint.
        var complete = false

        init(from: UInt64, capacity bundles: Int) {
            self.from = from
            self.entries = CollectorEntryBatch(reservingBytes: 1 << 20, entries: bundles * TileID.fullWidth)
            self.leaves.reserveCapacity(bundles * TileID.fullWidth)
        }

        /// The staged size after the batch.
        var end: UInt64 { from + UInt64(leaves.count) }
    }

    /// Stores one assembled batch (the served tiles must match the computed ones; the batch that
    /// completes the checkpoint must give its root); returns the new staged size.
    func store(
        _ batch: AssembledBatch, state: CollectorGatewayState, checkpoint: Checkpoint, collected: CollectedCheckpoint,
        document: String?
    ) async throws -> UInt64 {
        // Verified when the batch that completes the checkpoint is stored, not when the pull began
        // (a catch-up takes seconds).
        var verified = collected
        verified.verifiedAt = SystemClock.nowNanoseconds()
        let (from, complete, level0, upper, size) = (
            batch.from, batch.complete, batch.level0, batch.upper, checkpoint.size
        )
        let ext: TileExtension
        do {
            ext = try await store.stage(
                gateway: state.id, stagedSize: from, entries: batch.entries, leafHashes: batch.leaves, hasher: hasher,
                check: { ext in
                    try Self.compare(ext, level0: level0, upper: upper, stagedFrom: from)
                    if complete && ext.root != checkpoint.root {
                        throw CollectorRefusal(
                            what: "root mismatch", location: "checkpoint size \(size)",
                            detail: "the entries and tiles served give root \(ext.root), but the signed "
                                + "checkpoint says \(checkpoint.root)",
                            discardStaged: true)
                    }
                },
                complete: complete ? verified : nil, anchorDocument: complete ? document : nil, lease: lease)
        } catch let error as StoreError where error.kind == .conflict {
            // The next entry moved since this pull read it: another writer of the log staged
            // entries meanwhile (an upload to the mirror, the gateway switching to push).
            if let now = try? await store.gatewayState(origin: origin), now.stagedSize != from {
                throw CollectorRaced(origin: origin, expected: from, found: now.stagedSize)
            }
            throw error
        }
        return ext.newSize
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
}
