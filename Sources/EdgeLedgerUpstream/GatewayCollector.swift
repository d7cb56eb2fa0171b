import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import ServiceLifecycle
import Synchronization

/// What one pull from a gateway did.
public struct PullReport: Sendable, Equatable, CustomStringConvertible {
    /// How the pull ended.
    public enum Outcome: Sendable, Equatable {
        /// The gateway has not sealed a checkpoint yet.
        case noCheckpoint
        /// Nothing new: the gateway's checkpoint is the verified one.
        case upToDate
        /// A newer checkpoint was verified and its entries stored.
        case verified
        /// What the gateway served was refused (signature, rollback, fork, tampered tile or
        /// entry); nothing was verified or acknowledged.
        case refused(String)
        /// The gateway answered with an error that needs the operator (401, 403, …).
        case rejected(String)
        /// The gateway could not be reached, or answered with a server error.
        case unreachable(String)
        /// The upstream's own store failed.
        case failed(String)
    }

    /// How the pull ended.
    public var outcome: Outcome
    /// The size of the gateway's checkpoint, when one was read.
    public var checkpointSize: UInt64?
    /// The verified size after the pull.
    public var verifiedSize: UInt64
    /// Entries fetched and staged during the pull.
    public var fetchedEntries: UInt64
    /// The size acknowledged to the gateway after the pull.
    public var ackedSize: UInt64
    /// How long the pull took.
    public var duration: Duration
    /// Of ``duration``: time spent hashing, verifying and storing entries (the rest is waiting
    /// for the gateway).
    public var verifying: Duration = .zero

    public var description: String {
        "\(outcome) checkpoint=\(checkpointSize.map(String.init) ?? "-") verified=\(verifiedSize) "
            + "fetched=\(fetchedEntries) acked=\(ackedSize)"
    }
}

/// The reference upstream's collector for one gateway (a `Service`): every `pull_interval` it
/// reads the gateway's signed checkpoint, verifies it, fetches the new entry bundles and hash
/// tiles (C2SP tlog-tiles), recomputes every leaf hash and the root from the entries, and stores
/// entries and checkpoint only when the root matches; then it acknowledges (`POST /ack`) and
/// queues the checkpoint for anchoring.
///
/// **Verification.** The checkpoint must carry a valid signature by one of the gateway's
/// `verifier_keys` and name its origin. It must not be smaller than the verified one (rollback)
/// nor have another root at the same size (fork). Before downloading entries, a consistency
/// proof from the verified checkpoint to the new one is computed locally from the gateway's
/// tiles and verified against both roots, so a forked log is refused at once. Then every
/// downloaded entry is hashed, the hash tiles are extended over them, and each computed tile is
/// compared with the tile the gateway serves; finally the computed root must equal the signed one.
/// Any mismatch is refused and logged with the tile path and entry index; nothing is
/// acknowledged.
///
/// **Resumable.** Entries are stored in batches as they arrive ("staged", see
/// ``CollectorGatewayState``); after an interruption the next pull continues from the staged
/// size. Staged entries count for nothing until the root over them matches a signed checkpoint;
/// when it does not, they are discarded.
///
/// **Fast.** Bundles and tiles are fetched in parallel over keep-alive connections while earlier
/// ones are hashed and stored; entries are inserted with one prepared statement per batch.
public final class GatewayCollector: Service, Sendable {
    /// The gateway log's origin.
    public let origin: String
    /// The configuration.
    public let gateway: GatewayConfiguration
    let store: CollectorStore
    private let client: PeerHTTPClient
    private let verifiers: [any NoteVerifier]
    let cosigners: [any NoteVerifier]
    private let hasher: any MerkleHasher
    private let anchoring: Bool
    private let parallelFetches: Int
    private let batchBundles: Int
    let logger: Logger
    private let onVerified: (@Sendable (CollectedCheckpoint) -> Void)?
    let metrics: UpstreamMetrics?
    private let memory = Mutex<(failures: Int, problem: String?, ackProblem: String?)>((0, nil, nil))

    /// Prepares the collector of `gateway`.
    ///
    /// - Parameters:
    ///   - anchoring: queue an anchoring job for each verified checkpoint.
    ///   - cosigners: verifiers of the witness cosignatures the upstream can check (its own
    ///     witness's); the anchoring document lists only cosigners whose line verifies.
    ///   - parallelFetches: bundles fetched at once (each with its level-0 hash tile).
    ///   - batchBundles: bundles stored per transaction.
    ///   - onVerified: called after each newly verified checkpoint (e.g. to wake the anchorer).
    ///   - metrics: where each pull's outcome is recorded (`/metrics` of `edge-ledger upstream`).
    /// - Throws: ``SyncError`` when a verifier key is unusable or the TLS files cannot be read.
    public init(
        gateway: GatewayConfiguration, store: CollectorStore, anchoring: Bool = false,
        cosigners: [any NoteVerifier] = [], parallelFetches: Int = 8,
        batchBundles: Int = 16, logger: Logger = Logger(label: "edge-ledger.collector"),
        onVerified: (@Sendable (CollectedCheckpoint) -> Void)? = nil, metrics: UpstreamMetrics? = nil
    ) throws {
        self.origin = gateway.origin
        self.gateway = gateway
        self.store = store
        do {
            self.verifiers = try gateway.verifierKeys.map { try NoteKeys.verifier(from: $0) }
        } catch {
            throw SyncError("gateways \(gateway.origin): verifier_keys: \(error)")
        }
        do {
            self.hasher = try OpenSSLHasher(gateway.hash)
        } catch {
            throw SyncError("gateways \(gateway.origin): hash \(gateway.hash.rawValue): \(error)")
        }
        do {
            self.client = try PeerHTTPClient(
                baseURL: gateway.url, token: gateway.token?.value, tls: gateway.tls, timeout: gateway.timeout,
                connections: max(2, parallelFetches))
        } catch {
            throw SyncError("gateways \(gateway.origin): cannot set up TLS: \(error)")
        }
        self.anchoring = anchoring
        self.cosigners = cosigners
        self.parallelFetches = max(1, parallelFetches)
        self.batchBundles = max(1, batchBundles)
        var logger = logger
        logger[metadataKey: "gateway"] = "\(gateway.origin)"
        self.logger = logger
        self.onVerified = onVerified
        self.metrics = metrics
    }

    /// Pulls every `pull_interval` until cancelled or graceful shutdown (an interrupted catch-up
    /// resumes at the next start).
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let report = await self.pullOnce()
                let delay: Duration
                switch report.outcome {
                case .noCheckpoint, .upToDate, .verified: delay = self.gateway.pullInterval
                case .refused, .rejected, .failed: delay = max(self.gateway.pullInterval, self.gateway.backoff.max)
                case .unreachable:
                    delay = max(
                        self.gateway.pullInterval,
                        Backoff(self.gateway.backoff).delay(afterFailures: self.memory.withLock { $0.failures }))
                }
                try? await Task.sleep(for: delay)
            }
        }
        await client.shutdown()
    }

    /// Closes the HTTP connections (after ``pullOnce()``; ``run()`` does it itself).
    public func shutdown() async {
        await client.shutdown()
    }

    /// One pull: checkpoint, verification, entries, acknowledgement.
    public func pullOnce() async -> PullReport {
        let started = ContinuousClock.now
        var report = PullReport(
            outcome: .upToDate, checkpointSize: nil, verifiedSize: 0, fetchedEntries: 0, ackedSize: 0,
            duration: .zero)
        do {
            report.outcome = try await pull(&report)
        } catch let refusal as CollectorRefusal {
            report.outcome = .refused(refusal.description)
            if refusal.discardStaged {
                if let state = try? store.gatewayState(origin: origin),
                    let discarded = try? store.discardStaged(gateway: state.id), discarded > 0
                {
                    logger.warning("discarded \(discarded) staged entries that do not belong to the signed log")
                }
            }
        } catch let failure as GatewayHTTPFailure {
            report.outcome = failure.isTransient ? .unreachable(failure.description) : .rejected(failure.description)
        } catch let error as PeerTransportError {
            report.outcome = .unreachable(error.description)
        } catch is CancellationError {
            report.outcome = .unreachable("cancelled")
        } catch {
            report.outcome = .failed("\(error)")
        }
        if let state = try? store.gatewayState(origin: origin) {
            report.verifiedSize = state.verifiedSize
            report.ackedSize = state.ackedSize
        }
        report.duration = ContinuousClock.now - started
        logOutcome(report)
        metrics?.record(report, gateway: origin)
        return report
    }

    // MARK: - One pull

    private func pull(_ report: inout PullReport) async throws -> PullReport.Outcome {
        var state = try store.registerGateway(origin: origin, hash: gateway.hash)
        try refuseIfForked()
        let response = try await client.get("checkpoint", limit: 1 << 20)
        if response.status == 404 { return .noCheckpoint }
        try GatewayHTTPFailure.check(response, request: "GET /checkpoint")
        let note: Note
        let checkpoint: Checkpoint
        do {
            note = try Note(parsing: response.body)
            checkpoint = try Checkpoint.open(
                note, verifiers: verifiers, origin: origin, policy: gateway.requireSignatures
            ).checkpoint
        } catch {
            throw CollectorRefusal(
                what: "checkpoint refused", location: "GET /checkpoint", detail: error.description)
        }
        report.checkpointSize = checkpoint.size
        let size = checkpoint.size
        let verified = state.verifiedSize
        if size < verified {
            throw CollectorRefusal(
                what: "rollback refused", location: "checkpoint size \(size)",
                detail: "the gateway's signed checkpoint has \(size) entries, but size \(verified) was verified "
                    + "before; a log never shrinks (was the gateway's store restored from a backup?)")
        }
        if size == verified {
            if let root = state.verifiedRoot, root != checkpoint.root {
                throw CollectorRefusal(
                    what: "fork refused", location: "checkpoint size \(size)",
                    detail: "the gateway signed root \(checkpoint.root) for size \(size), but \(root) was verified "
                        + "for the same size; keep both checkpoints as evidence")
            }
            try await acknowledge(state)
            return .upToDate
        }
        try refuseAbsurdGrowth(from: verified, to: size)
        if state.stagedSize > size {
            try store.discardStaged(gateway: state.id)
            state = try store.registerGateway(origin: origin, hash: gateway.hash)
        }
        var served: [TileKey: [Hash32]] = [:]
        if verified > 0, let root = state.verifiedRoot {
            served = try await checkConsistency(state, root: root, checkpoint: checkpoint)
        }
        let collected = CollectedCheckpoint(
            origin: origin, size: size, root: checkpoint.root, note: note.serialized,
            verifiedAt: SystemClock.nowNanoseconds())
        let document =
            anchoring
            ? AnchorDocument.json(
                origin: origin, size: size, root: checkpoint.root, hash: gateway.hash, note: note.serialized,
                cosigners: cosigners) : nil
        if state.stagedSize == size {
            if let failure = verifyStaged(state, collected, document) {
                guard failure.kind == .conflict else { throw failure }
                throw CollectorRefusal(
                    what: "root mismatch", location: "checkpoint size \(size)", detail: failure.message,
                    discardStaged: true)
            }
        } else {
            (report.fetchedEntries, report.verifying) = try await fetchAndStage(
                state, checkpoint: checkpoint, collected: collected, document: document, served: served)
        }
        try raiseForkAlarmIfDetected()
        state = try store.registerGateway(origin: origin, hash: gateway.hash)
        onVerified?(collected)
        try await acknowledge(state)
        return .verified
    }

    /// Verifies the staged entries against a checkpoint of exactly their size.
    private func verifyStaged(
        _ state: CollectorGatewayState, _ collected: CollectedCheckpoint, _ document: String?
    )
        -> StoreError?
    {
        do {
            try store.verifyStaged(gateway: state.id, checkpoint: collected, hasher: hasher, anchorDocument: document)
            return nil
        } catch {
            return error
        }
    }

    /// Verifies, from the gateway's tiles, that its checkpoint extends the verified one; returns
    /// the tiles fetched (at their widths in the new tree).
    private func checkConsistency(
        _ state: CollectorGatewayState, root: Hash32, checkpoint: Checkpoint
    )
        async throws -> [TileKey: [Hash32]]
    {
        let old = state.verifiedSize
        let new = checkpoint.size
        let recorder = RecordingTileReader(treeSize: new)
        _ = try TiledTree.consistencyProof(from: old, to: new, reader: recorder, hasher: hasher)
        var needed: [TileKey] = []
        for key in recorder.read where !needed.contains(key) {
            if TileWidths.width(level: key.level, index: key.index, treeSize: old) < TileID.fullWidth {
                needed.append(key)
            }
        }
        let fetched = try await fetchTiles(needed, treeSize: new)
        // Positions the verified tree already had must be unchanged.
        for (key, hashes) in fetched {
            let known = TileWidths.width(level: key.level, index: key.index, treeSize: old)
            guard known > 0, let ours = try store.tile(gateway: state.id, level: key.level, index: key.index) else {
                continue
            }
            for p in 0..<min(known, ours.count, hashes.count) where ours[p] != hashes[p] {
                throw CollectorRefusal(
                    what: "fork refused",
                    location: TileID(level: key.level, index: key.index, width: hashes.count).path,
                    detail: "position \(p) is \(hashes[p]), but the verified tree of size \(old) has \(ours[p]) there "
                        + "(entries \(Self.coveredEntries(level: key.level, index: key.index, position: p)))")
            }
        }
        let store = self.store
        let reader = OverlayTileReader(tiles: fetched) { level, index in
            guard let hashes = try store.tile(gateway: state.id, level: level, index: index) else {
                throw StoreError(.missing, "collected tile \(level)/\(index) of \(state.origin) is missing")
            }
            return hashes
        }
        let proof = try TiledTree.consistencyProof(from: old, to: new, reader: reader, hasher: hasher)
        do {
            try Merkle.verifyConsistency(
                oldSize: old, newSize: new, oldRoot: root, newRoot: checkpoint.root, proof: proof, hasher: hasher)
        } catch {
            throw CollectorRefusal(
                what: "inconsistent checkpoint refused", location: "sizes \(old) → \(new)",
                detail: "the consistency proof computed from the gateway's tiles does not verify (\(error.message)): "
                    + "the gateway forked its log or serves damaged tiles")
        }
        return fetched
    }

    /// Fetches the entries from the staged size to the checkpoint's, verifies them against the
    /// gateway's tiles and the checkpoint root, and stores them; returns how many were fetched.
    private func fetchAndStage(
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
                        let ext = try store.stage(
                            gateway: state.id, stagedSize: from, entries: batch, leafHashes: leaves, hasher: hasher,
                            check: { ext in
                                try Self.compare(ext, level0: level0, upper: upperTiles, stagedFrom: from)
                                if complete && ext.root != checkpoint.root {
                                    throw CollectorRefusal(
                                        what: "root mismatch", location: "checkpoint size \(size)",
                                        detail: "the entries and tiles served give root \(ext.root), but the signed "
                                            + "checkpoint says \(checkpoint.root)",
                                        discardStaged: true)
                                }
                            },
                            complete: complete ? collected : nil, anchorDocument: complete ? document : nil)
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
    private static func compare(
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

    private static func coveredEntries(level: Int, index: UInt64, position: Int) -> String {
        let shift = UInt64(TileID.height * level)
        let first = (index &* 256 &+ UInt64(position)) << shift
        return "\(first)..<\(first &+ (1 << shift))"
    }

    // MARK: - Fetching

    private struct FetchedBundle: Sendable {
        var bundleID: TileID
        var bundle: [UInt8]
        var tile: [Hash32]
    }

    /// Entry bundle `index` and its level-0 hash tile, at their widths in a tree of `treeSize`.
    private func fetchBundle(_ index: UInt64, treeSize: UInt64) async throws -> FetchedBundle {
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
    private func fetchTiles(_ keys: [TileKey], treeSize: UInt64) async throws -> [TileKey: [Hash32]] {
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

    // MARK: - Acknowledgement

    private func acknowledge(_ state: CollectorGatewayState) async throws {
        guard gateway.acknowledge, state.verifiedSize > 0, state.ackedSize < state.verifiedSize,
            let root = state.verifiedRoot
        else { return }
        let problem: String?
        do {
            let response = try await AckProver(client: client, store: store, hasher: hasher).acknowledge(
                gateway: state.id, size: state.verifiedSize, root: root)
            switch response.status {
            case 200:
                try store.recordAck(gateway: state.id, size: state.verifiedSize, at: SystemClock.nowNanoseconds())
                problem = nil
            case 401, 403:
                problem =
                    "HTTP \(response.status): the gateway does not accept this upstream's acknowledgement; set "
                    + "gateways.token to the token the gateway lists in [[http.tokens]] under the name of its "
                    + "[[upstreams]] entry for this node (\(response.bodyExcerpt))"
            case 409:
                problem =
                    "HTTP 409: the gateway refused the acknowledgement of size \(state.verifiedSize): "
                    + response.bodyExcerpt
            default:
                problem = "HTTP \(response.status): \(response.bodyExcerpt)"
            }
        } catch let error as PeerTransportError {
            problem = "acknowledgement not delivered: \(error.description)"
        }
        let previous = memory.withLock { m -> String? in
            defer { m.ackProblem = problem }
            return m.ackProblem
        }
        if let problem, problem != previous {
            logger.error("acknowledgement failed (retried at the next pull): \(problem)")
        } else if problem == nil, previous != nil {
            logger.notice("acknowledgements accepted again", metadata: ["size": "\(state.verifiedSize)"])
        }
    }

    // MARK: - Logging

    private func logOutcome(_ report: PullReport) {
        let problem: String?
        var failures = 0
        switch report.outcome {
        case .refused(let why): problem = "refused: " + why
        case .rejected(let why): problem = "rejected: " + why
        case .unreachable(let why): problem = "unreachable: " + why
        case .failed(let why): problem = "failed: " + why
        case .noCheckpoint, .upToDate, .verified: problem = nil
        }
        let previous = memory.withLock { m -> String? in
            let previous = m.problem
            m.problem = problem
            if case .unreachable = report.outcome { m.failures += 1 } else { m.failures = 0 }
            failures = m.failures
            return previous
        }
        var metadata: Logger.Metadata = ["verified": "\(report.verifiedSize)"]
        if let size = report.checkpointSize { metadata["checkpoint"] = "\(size)" }
        switch report.outcome {
        case .verified:
            let seconds = Double(report.duration.nanosecondsClamped) / 1e9
            metadata["entries"] = "\(report.fetchedEntries)"
            metadata["verifying_seconds"] = "\((Double(report.verifying.nanosecondsClamped) / 1e6).rounded() / 1000)"
            metadata["seconds"] = "\((seconds * 1000).rounded() / 1000)"
            if seconds > 0 { metadata["entries_per_second"] = "\(Int(Double(report.fetchedEntries) / seconds))" }
            logger.info("verified and stored a new checkpoint", metadata: metadata)
        case .noCheckpoint, .upToDate:
            if previous != nil { logger.notice("gateway reachable again", metadata: metadata) }
        case .refused(let why):
            if problem != previous {
                logger.error("REFUSED what the gateway served: \(why)", metadata: metadata)
            } else {
                logger.debug("still refusing: \(why)", metadata: metadata)
            }
        case .rejected(let why):
            if problem != previous { logger.error("gateway rejected the request: \(why)", metadata: metadata) }
        case .unreachable(let why):
            if !(previous?.hasPrefix("unreachable: ") ?? false) {
                logger.warning(
                    "gateway unreachable: \(why); retrying with backoff up to \(ConfigDuration.format(gateway.backoff.max))",
                    metadata: metadata)
            } else {
                logger.debug(
                    "gateway still unreachable: \(why)", metadata: metadata.merging(["failures": "\(failures)"]) { $1 })
            }
        case .failed(let why):
            if problem != previous { logger.error("collection failed: \(why)", metadata: metadata) }
        }
    }
}

/// A gateway answered a request with an unexpected HTTP status.
struct GatewayHTTPFailure: Error, CustomStringConvertible {
    var request: String
    var status: Int
    var body: String

    /// Server errors and throttling are transient; 4xx other than 408/429 need the operator.
    var isTransient: Bool { status >= 500 || status == 408 || status == 429 }

    var description: String {
        var hint = ""
        switch status {
        case 401: hint = " (set gateways.token to a token the gateway accepts)"
        case 403: hint = " (the gateway does not allow this token to read)"
        case 404: hint = " (the gateway does not serve this; is gateways.url right, including its prefix?)"
        default: break
        }
        return "\(request): HTTP \(status)\(hint): \(body)"
    }

    static func check(_ response: PeerHTTPResponse, request: String) throws(GatewayHTTPFailure) {
        guard response.status == 200 else {
            throw GatewayHTTPFailure(request: request, status: response.status, body: response.bodyExcerpt)
        }
    }
}
