import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import Synchronization

/// Serves every collected log as C2SP tlog-tiles under the monitoring prefix (C2SP tlog-mirror):
/// `<origin hash>/checkpoint`, `<origin hash>/tile/<L>/<N>[.p/<W>]` and
/// `<origin hash>/tile/entries/<N>[.p/<W>]`, where the origin hash is the lowercase hex SHA-256
/// of the origin. Only what the collector verified is served: the latest verified checkpoint,
/// and objects inside its tree — never a staged entry.
///
/// **The database is not the read path** (DESIGN decision 16). A full tile or entry bundle never
/// changes, so the first read of one builds it from the store, checks it against the verified
/// tree (a bundle's entries hash to its level-0 tile; a hash tile's subtree root is the hash the
/// tile above holds for it), writes it as a file under ``directory`` (``TileFileStore``) and
/// every later read is a file read (its digest checked; a damaged file is counted, removed and
/// rebuilt). Reads of the same missing object share one build; at most `maxConcurrentBuilds`
/// objects are built at once, the others wait their turn, and at most
/// `max(256, 16 × maxConcurrentBuilds)` different objects may be waiting (503 beyond). The checkpoint and the partial tiles at the right edge
/// come from the store; which logs exist and their verified sizes are read at most once per
/// `stateLifetime` whatever the request rate (also for unknown origins).
///
/// **The mirror's cosignature.** With a `cosigner`, the checkpoint carries one more signature
/// line, a C2SP cosignature/v1 by that key over the verified checkpoint (made once per size): the
/// mirror's statement that it holds the entries and serves them (tlog-mirror requires it).
public final class CollectedLogServer: Sendable {
    let store: CollectorStore
    let files: TileFileStore
    let cosigner: CosignatureV1Signer?
    let metrics: LogServingMetrics?
    let logger: Logger
    let flights: BuildFlights
    let stateLifetime: Duration
    private let index = Mutex<LogIndex>(LogIndex())
    private let cosigned = Mutex<[Int64: (size: UInt64, note: String, text: String)]>([:])

    /// What is known of the collected logs, by origin hash.
    struct LogIndex: Sendable {
        var logs: [String: CollectorGatewayState] = [:]
        var readAt: ContinuousClock.Instant? = nil
        var refresh: Task<[String: CollectorGatewayState], any Error>? = nil
    }

    /// Serves the logs of `store`, with files under `directory`.
    ///
    /// - Parameters:
    ///   - directory: `storage.tiles_dir`; created on the first write.
    ///   - cosigner: the mirror's key: adds its cosignature/v1 line to every served checkpoint.
    ///   - maxConcurrentBuilds: objects built from the store at once (more wait; see above).
    ///   - stateLifetime: how long the list of logs and their verified sizes is reused.
    public init(
        store: CollectorStore, directory: String, cosigner: CosignatureV1Signer? = nil,
        metrics: LogServingMetrics? = nil, maxConcurrentBuilds: Int = 16, stateLifetime: Duration = .seconds(1),
        logger: Logger = Logger(label: "edge-ledger.logs")
    ) {
        self.store = store
        self.files = TileFileStore(directory: directory)
        self.cosigner = cosigner
        self.metrics = metrics
        self.flights = BuildFlights(limit: maxConcurrentBuilds, pending: max(256, 16 * maxConcurrentBuilds))
        self.stateLifetime = stateLifetime
        self.logger = logger
    }

    /// Where the files are written.
    public var directory: String { files.directory }

    /// The lowercase hex SHA-256 of `origin`: the log's path element under the monitoring prefix.
    public static func originHash(_ origin: String) -> String {
        Hex.encode(OpenSSLHasher.sha256.hash(Array(origin.utf8)).bytes)
    }

    // MARK: - Reads

    /// `<origin hash>/checkpoint`: the latest verified checkpoint as the gateway signed it, plus
    /// the mirror's cosignature when there is a cosigner.
    public func checkpoint(originHash: String) async throws(LogServingError) -> ServedObject {
        let log = try await log(originHash: originHash)
        guard let note = log.verifiedNote else {
            throw LogServingError(.notFound, "nothing of \(log.origin) has been verified yet")
        }
        let object = ServedObject(
            kind: .checkpoint, source: .store, body: Array(try cosignedNote(log, note).utf8),
            contentType: "text/plain; charset=utf-8", cacheControl: ServedObject.noCache)
        metrics?.record(object)
        return object
    }

    /// `<origin hash>/<path>` where `path` is `tile/…`: a hash tile or an entry bundle inside
    /// the verified tree; bundles gzip-encoded when `gzip` (the client accepts it).
    public func tile(
        originHash: String, path: some StringProtocol, gzip: Bool
    ) async throws(LogServingError)
        -> ServedObject
    {
        let id: TileID
        do {
            id = try TileID(parsingPath: path)
        } catch {
            throw LogServingError(.badRequest, error.description)
        }
        let log = try await log(originHash: originHash)
        guard id.isContained(inTreeOfSize: log.verifiedSize) else {
            throw LogServingError(
                .notFound,
                "\(id.path) lies beyond the verified tree of \(log.origin) (size \(log.verifiedSize))")
        }
        let full = TileID(level: id.level, index: id.index)
        var bytes: [UInt8]
        let source: ServedObject.Source
        if full.isContained(inTreeOfSize: log.verifiedSize) {
            (bytes, source) = try await fullObject(log, full)
            if id.isPartial { bytes = try Self.prefix(of: bytes, id) }
        } else {
            bytes = try await build(log, id)
            source = .store
        }
        var encoding: String? = nil
        if id.isEntryBundle, gzip {
            bytes = id.isPartial ? try Self.gzip(bytes, id) : try await gzipped(log, full, bytes)
            encoding = "gzip"
        }
        let object = ServedObject(
            kind: id.isEntryBundle ? .bundle : .tile, source: source, body: bytes,
            contentType: "application/octet-stream",
            cacheControl: id.isPartial ? ServedObject.noCache : ServedObject.immutable, contentEncoding: encoding)
        metrics?.record(object)
        return object
    }

    // MARK: - Logs

    /// The collected log whose origin hashes to `originHash`.
    func log(originHash: String) async throws(LogServingError) -> CollectorGatewayState {
        guard originHash.utf8.count == 64,
            originHash.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else {
            throw LogServingError(
                .notFound, "\"\(originHash.prefix(80))\" is not an origin hash (64 lowercase hex digits)")
        }
        guard let log = try await logs()[originHash] else {
            throw LogServingError(.notFound, "no collected log has the origin hash \(originHash)")
        }
        return log
    }

    /// The collected logs by origin hash, read from the store at most once per `stateLifetime`
    /// (one read for every request arriving meanwhile).
    func logs() async throws(LogServingError) -> [String: CollectorGatewayState] {
        let now = ContinuousClock.now
        let lifetime = stateLifetime
        let store = self.store
        let (ready, task) = index.withLock {
            index -> ([String: CollectorGatewayState]?, Task<[String: CollectorGatewayState], any Error>?) in
            if let readAt = index.readAt, now - readAt < lifetime { return (index.logs, nil) }
            if let refresh = index.refresh { return (nil, refresh) }
            let refresh = Task<[String: CollectorGatewayState], any Error> {
                var logs: [String: CollectorGatewayState] = [:]
                for state in try await store.gatewayStates() { logs[Self.originHash(state.origin)] = state }
                return logs
            }
            index.refresh = refresh
            return (nil, refresh)
        }
        if let ready { return ready }
        guard let task else { return [:] }
        do {
            let logs = try await task.value
            index.withLock { index in
                index.logs = logs
                index.readAt = .now
                index.refresh = nil
            }
            return logs
        } catch {
            index.withLock { $0.refresh = nil }
            throw Self.failure(error, "reading the collected logs")
        }
    }

    /// The verified note with the mirror's cosignature appended (made once per size).
    private func cosignedNote(_ log: CollectorGatewayState, _ note: String) throws(LogServingError) -> String {
        guard let cosigner else { return note }
        if let cached = cosigned.withLock({ $0[log.id] }), cached.size == log.verifiedSize, cached.note == note {
            return cached.text
        }
        let text: String
        do {
            var parsed = try Note(parsing: note)
            let line = try cosigner.cosign(text: parsed.text)
            if parsed.signatures.count >= Note.maxSignatures { parsed.signatures.removeLast() }
            parsed.signatures.append(line)
            text = parsed.serialized
        } catch {
            throw LogServingError(
                .failed, "cannot cosign the verified checkpoint of \(log.origin) at size \(log.verifiedSize): \(error)")
        }
        cosigned.withLock { $0[log.id] = (log.verifiedSize, note, text) }
        return text
    }

    /// A ``LogServingError`` for a failure of the store (503 when it cannot be reached).
    static func failure(_ error: any Error, _ what: String) -> LogServingError {
        if let error = error as? LogServingError { return error }
        if let error = error as? StoreError {
            if error.kind == .unavailable {
                return LogServingError(.busy, "the store is unavailable (\(what)): \(error.message)", hint: error.hint)
            }
            return LogServingError(.failed, "\(what): \(error.message)", hint: error.hint)
        }
        return LogServingError(.failed, "\(what): \(error)")
    }
}
