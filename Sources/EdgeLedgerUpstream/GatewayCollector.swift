import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import ServiceLifecycle
import Synchronization

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
    let client: PeerHTTPClient
    private let verifiers: [any NoteVerifier]
    let cosigners: [any NoteVerifier]
    let hasher: any MerkleHasher
    private let anchoring: Bool
    let parallelFetches: Int
    let batchBundles: Int
    let batchBytes: Int
    /// The instance's budget for fetched entries (`nil`: this collector's own bounds only).
    let fetchBudget: CollectorMemoryBudget?
    /// The reservation per entry the last pull ended with (see ``bundleReservation(_:treeSize:entryEstimate:)``).
    let entryEstimateOfLastPull: Mutex<Int>
    let logger: Logger
    private let onVerified: (@Sendable (CollectedCheckpoint) -> Void)?
    let metrics: UpstreamMetrics?
    let memory = Mutex<(failures: Int, problem: String?, ackProblem: String?)>((0, nil, nil))
    private let heldLease = Mutex<CollectorLease?>(nil)

    /// The lease this collector writes under (`nil`: unfenced, the only collector of the store).
    public var lease: CollectorLease? {
        get { heldLease.withLock { $0 } }
        set { heldLease.withLock { $0 = newValue } }
    }

    /// Prepares the collector of `gateway`.
    ///
    /// - Parameters:
    ///   - anchoring: queue an anchoring job for each verified checkpoint.
    ///   - cosigners: verifiers of the witness cosignatures the upstream can check (its own
    ///     witness's); the anchoring document lists only cosigners whose line verifies.
    ///   - parallelFetches: bundles fetched at once (each with its level-0 hash tile).
    ///   - batchBundles: bundles stored per transaction.
    ///   - batchBytes: entry bytes stored per transaction at most (a batch of large entries ends
    ///     before `batchBundles`); bundles fetched and not parsed yet are held up to twice this.
    ///   - memory: the budget the instance's collectors share for fetched entries not stored yet
    ///     (`storage.collector_memory`); `nil`: only this collector's own bounds.
    ///   - onVerified: called after each newly verified checkpoint (e.g. to wake the anchorer).
    ///   - metrics: where each pull's outcome is recorded (`/metrics` of `edge-ledger-upstream`).
    /// - Throws: ``UpstreamError`` when a verifier key is unusable or the TLS files cannot be read.
    public init(
        gateway: GatewayConfiguration, store: CollectorStore, anchoring: Bool = false,
        cosigners: [any NoteVerifier] = [], parallelFetches: Int = 16,
        batchBundles: Int = 64, batchBytes: Int = 8 << 20, memory: CollectorMemoryBudget? = nil,
        logger: Logger = Logger(label: "edge-ledger.collector"),
        onVerified: (@Sendable (CollectedCheckpoint) -> Void)? = nil, metrics: UpstreamMetrics? = nil
    ) throws {
        self.origin = gateway.origin
        self.gateway = gateway
        self.store = store
        do {
            self.verifiers = try gateway.verifierKeys.map { try NoteKeys.verifier(from: $0) }
        } catch {
            throw UpstreamError("gateways \(gateway.origin): verifier_keys: \(error)")
        }
        do {
            self.hasher = try OpenSSLHasher(gateway.hash)
        } catch {
            throw UpstreamError("gateways \(gateway.origin): hash \(gateway.hash.rawValue): \(error)")
        }
        do {
            self.client = try PeerHTTPClient(
                baseURL: gateway.url, token: gateway.token?.value, tls: gateway.tls, timeout: gateway.timeout,
                connections: max(2, parallelFetches))
        } catch {
            throw UpstreamError("gateways \(gateway.origin): cannot set up TLS: \(error)")
        }
        self.anchoring = anchoring
        self.cosigners = cosigners
        self.parallelFetches = max(1, parallelFetches)
        self.batchBundles = max(1, batchBundles)
        self.batchBytes = max(1, batchBytes)
        self.fetchBudget = memory
        // Set here, after everything that can throw: a Mutex initialized before a throw made
        // Swift 6.3's optimizer crash (ownership verifier, release builds).
        self.entryEstimateOfLastPull = Mutex(Self.initialEntryEstimate)
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
                case .failed where report.storeUnavailable || report.raced: delay = self.gateway.pullInterval
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
        } catch _ where Task.isCancelled {
            // Stopping: whatever failed (the store wraps the cancellation in its own error).
            report.outcome = .unreachable("cancelled")
        } catch let refusal as CollectorRefusal {
            report.outcome = .refused(refusal.description)
            if refusal.discardStaged {
                if let state = try? await store.gatewayState(origin: origin),
                    let discarded = try? await store.discardStaged(gateway: state.id, lease: lease), discarded > 0
                {
                    logger.warning("discarded \(discarded) staged entries that do not belong to the signed log")
                }
            }
        } catch let raced as CollectorRaced {
            report.outcome = .failed(raced.description)
            report.raced = true
        } catch let failure as GatewayHTTPFailure {
            report.outcome = failure.isTransient ? .unreachable(failure.description) : .rejected(failure.description)
        } catch let error as PeerTransportError {
            report.outcome = .unreachable(error.description)
        } catch is CancellationError {
            report.outcome = .unreachable("cancelled")
        } catch {
            report.outcome = .failed("\(error)")
            report.storeUnavailable = (error as? StoreError)?.kind == .unavailable
        }
        report.duration = ContinuousClock.now - started
        if Task.isCancelled {
            // Stopping, or the gateway was handed to another instance: nothing failed.
            logger.debug("pull cancelled (the collector is stopping)")
            return report
        }
        if let state = try? await store.gatewayState(origin: origin) {
            report.verifiedSize = state.verifiedSize
            report.ackedSize = state.ackedSize
        }
        logOutcome(report)
        metrics?.record(report, gateway: origin)
        return report
    }

    // MARK: - One pull

    private func pull(_ report: inout PullReport) async throws -> PullReport.Outcome {
        var state = try await store.registerGateway(origin: origin, hash: gateway.hash)
        try await refuseIfForked()
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
            try await store.discardStaged(gateway: state.id, lease: lease)
            state = try await store.registerGateway(origin: origin, hash: gateway.hash)
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
            if let failure = await verifyStaged(state, collected, document) {
                guard failure.kind == .conflict else { throw failure }
                throw CollectorRefusal(
                    what: "root mismatch", location: "checkpoint size \(size)", detail: failure.message,
                    discardStaged: true)
            }
        } else {
            (report.fetchedEntries, report.verifying) = try await fetchAndStage(
                state, checkpoint: checkpoint, collected: collected, document: document, served: served)
        }
        try await raiseForkAlarmIfDetected()
        state = try await store.registerGateway(origin: origin, hash: gateway.hash)
        onVerified?(collected)
        try await acknowledge(state)
        return .verified
    }

    /// Verifies the staged entries against a checkpoint of exactly their size.
    private func verifyStaged(
        _ state: CollectorGatewayState, _ collected: CollectedCheckpoint, _ document: String?
    ) async -> StoreError? {
        do {
            try await store.verifyStaged(
                gateway: state.id, checkpoint: collected, hasher: hasher, anchorDocument: document, lease: lease)
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
            guard known > 0, let ours = try await store.tile(gateway: state.id, level: key.level, index: key.index)
            else {
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
        let hasher = self.hasher
        let proof = try await store.withTiles(gateway: state.id) { stored in
            let reader = OverlayTileReader(tiles: fetched) { level, index in
                try stored.readTile(level: level, index: index)
            }
            return try TiledTree.consistencyProof(from: old, to: new, reader: reader, hasher: hasher)
        }
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
}
