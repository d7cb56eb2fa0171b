import EdgeLedgerCore
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus

/// The agent's HTTP API: C2SP tlog-tiles reads (`/checkpoint`, `/tile/…`), `tlog-proof`
/// bundles (`/proof/<index>`), upstream acknowledgements (`POST /ack`), `/healthz`, `/readyz`
/// and `/metrics`, all under the configured prefix.
///
/// `LedgerAPI` holds everything the handlers need and adds its routes to any Hummingbird router
/// whose context conforms to ``LedgerRequestContextProtocol`` (``addRoutes(to:)``), or makes a
/// router of its own (``makeRouter()``). ``LedgerAPIService`` serves it as a service.
///
/// **Reads** open their own `LedgerReader`s on the store file (WAL: they never block ingest)
/// and run on NIO's blocking thread pool. **Acknowledgements** need a proof of possession
/// (`POST /ack/challenge`, then `POST /ack`; see `LedgerAPI+Acknowledge.swift`), are checked
/// against the log's root with a reader and recorded through ``LedgerAcknowledging`` (the
/// agent's `LedgerStore`). Every entry bundle served to an upstream's credential is recorded
/// too: retention never prunes past what an upstream fetched itself.
///
/// **Access.** `/healthz` and `/readyz` are always anonymous. Checkpoints, tiles, entry
/// bundles and proofs need a bearer token or a client certificate unless
/// `http.allow_anonymous_read`; `/metrics` unless `metrics.allow_anonymous`. `POST /ack` always
/// needs a client that is an `[[upstreams]]` entry (by token name or certificate subject).
/// A wrong or malformed credential is refused (401) even where anonymous access is allowed.
public struct LedgerAPI: Sendable {
    let prefix: String
    let allowAnonymousRead: Bool
    let metricsEnabled: Bool
    let allowAnonymousMetrics: Bool
    let maxBodyBytes: Int
    let requestTimeout: Duration
    let authenticator: APIAuthenticator
    let readers: LedgerReaderPool
    let hashAlgorithm: HashAlgorithm
    let hasher: any MerkleHasher
    let challenges: AckChallengeBook
    let fetches = FetchTracker()
    let acknowledger: any LedgerAcknowledging
    let status: any LedgerAPIStatus
    let registry: PrometheusCollectorRegistry?
    let requestMetrics: APIRequestMetrics
    let logger: Logger
    let logBudget: LogBudget
    let onAcknowledge: (@Sendable (UpstreamState) -> Void)?

    /// Prepares the API.
    ///
    /// - Parameters:
    ///   - http: the `[http]` settings: prefix, anonymous reads, body limit, timeout, tokens.
    ///   - metrics: the `[metrics]` settings; `/metrics` is served when enabled and `registry` is
    ///     given.
    ///   - upstreams: the `[[upstreams]]`: a token with an upstream's name, or a certificate with
    ///     its `client_subject`, may acknowledge for it.
    ///   - storePath: the ledger file; it must exist (the agent opens its `LedgerStore` first).
    ///   - hasher: the store's hash function.
    ///   - acknowledger: records accepted acknowledgements: the agent's `LedgerStore`.
    ///   - status: answers `/readyz`.
    ///   - registry: the Prometheus registry that `/metrics` prints (the one the executable
    ///     bootstrapped swift-metrics with).
    ///   - metricsFactory: where the API's own request and acknowledgement counters go; the
    ///     bootstrapped `MetricsSystem.factory` when `nil`.
    ///   - readerCount: read connections opened on the store.
    ///   - ackChallengeLifetime: how long an acknowledgement challenge may be answered.
    ///   - logger: request failures, acknowledgements and forks are logged here.
    ///   - logBudget: the process's budget for lines a client can trigger (refused
    ///     credentials); a budget of its own when `nil`.
    ///   - onAcknowledge: called after each accepted acknowledgement with the upstream's state.
    /// - Throws: ``HTTPSetupError`` when the store cannot be opened for reading or a token is
    ///   unusable.
    public init(
        http: HTTPConfiguration,
        metrics: MetricsConfiguration = MetricsConfiguration(),
        upstreams: [UpstreamPeerConfiguration] = [],
        storePath: String,
        hasher: any MerkleHasher,
        acknowledger: any LedgerAcknowledging,
        status: any LedgerAPIStatus,
        registry: PrometheusCollectorRegistry? = nil,
        metricsFactory: (any MetricsFactory)? = nil,
        readerCount: Int = 2,
        ackChallengeLifetime: Duration = .seconds(30),
        logger: Logger = Logger(label: "edge-ledger.http"),
        logBudget: LogBudget? = nil,
        onAcknowledge: (@Sendable (UpstreamState) -> Void)? = nil
    ) throws(HTTPSetupError) {
        self.prefix = http.prefix.hasSuffix("/") ? String(http.prefix.dropLast()) : http.prefix
        self.allowAnonymousRead = http.allowAnonymousRead
        self.metricsEnabled = metrics.enabled
        self.allowAnonymousMetrics = metrics.allowAnonymous
        self.maxBodyBytes = http.maxBodyBytes
        self.requestTimeout = http.requestTimeout
        self.authenticator = try APIAuthenticator(tokens: http.tokens, upstreams: upstreams)
        do {
            self.readers = try LedgerReaderPool(path: storePath, hasher: hasher, count: readerCount)
        } catch {
            throw HTTPSetupError("cannot open the ledger \(storePath) for the HTTP API: \(error)")
        }
        self.hashAlgorithm = hasher.algorithm
        self.hasher = hasher
        self.challenges = AckChallengeBook(lifetime: ackChallengeLifetime)
        self.acknowledger = acknowledger
        self.status = status
        self.registry = registry
        self.requestMetrics = APIRequestMetrics(factory: metricsFactory)
        self.logger = logger
        self.logBudget = logBudget ?? LogBudget(logger: logger)
        self.onAcknowledge = onAcknowledge
    }

    // MARK: - Routes

    /// A router serving the API, with plain-text answers for unknown paths and methods.
    ///
    /// `HEAD` is answered for every `GET` endpoint.
    public func makeRouter() -> Router<LedgerRequestContext> {
        let router = Router(context: LedgerRequestContext.self, options: [.autoGenerateHeadEndpoints])
        router.add(middleware: APIErrorMiddleware<LedgerRequestContext>(logger: logger))
        addRoutes(to: router)
        return router
    }

    /// Adds the API's routes, under the configured prefix, to `router`.
    ///
    /// The routes get their own middleware (request metrics; every error answered as a short
    /// plain-text reason, internal errors as a generic 500 that is logged).
    public func addRoutes<Context: LedgerRequestContextProtocol>(to router: some RouterMethods<Context>) {
        let group = router.group(RouterPath(prefix))
        group.add(middleware: APIMetricsMiddleware<Context>(metrics: requestMetrics))
        group.add(middleware: APIErrorMiddleware<Context>(logger: logger))
        group.get("healthz") { _, _ in APIResponse.text("ok") }
        group.get("readyz") { _, _ in await self.readyz() }
        group.get("status") { _, _ in await self.statusDocument() }
        group.get("checkpoint") { request, context in try await self.checkpoint(request, context) }
        group.get("tile/**") { request, context in try await self.tile(request, context) }
        group.get("proof/:index") { request, context in try await self.proof(request, context) }
        group.post("ack") { request, context in try await self.acknowledge(request, context) }
        group.post("ack/challenge") { request, context in try await self.challenge(request, context) }
        if metricsEnabled, registry != nil {
            group.get("metrics") { request, context in try await self.metrics(request, context) }
        }
    }

    // MARK: - Access

    enum Access {
        case read, metrics, acknowledge
    }

    /// The client, or `nil` for an anonymous request that `access` allows.
    ///
    /// - Throws: 401 for invalid credentials, or none where they are required.
    func authorize(
        _ request: Request, _ context: some LedgerRequestContextProtocol, _ access: Access
    ) async throws -> APIClient? {
        switch await authenticator.authenticate(request, peerCertificate: { await context.peerCertificateDER() }) {
        case .client(let client):
            return client
        case .invalid(let reason):
            logBudget.log(
                .notice, kind: "refused credentials", "refused credentials",
                metadata: ["reason": "\(reason)", "path": "\(request.uri.path.prefix(200))"], logger: logger)
            throw APIFailure.unauthorized(reason, invalidToken: true)
        case .anonymous:
            let allowed =
                switch access {
                case .read: allowAnonymousRead
                case .metrics: allowAnonymousMetrics
                case .acknowledge: false
                }
            guard allowed else {
                throw APIFailure.unauthorized(
                    "authentication required: send \"Authorization: Bearer <token>\" or a client certificate",
                    invalidToken: false)
            }
            return nil
        }
    }

    // MARK: - Health

    func readyz() async -> Response {
        let readiness = await status.readiness()
        let warnings = readiness.warnings.map { "\n" + $0 }.joined()
        if readiness.isReady { return APIResponse.text("ready" + warnings) }
        return APIResponse.text(
            "not ready\n" + readiness.problems.joined(separator: "\n") + warnings, status: .serviceUnavailable)
    }

    /// `GET /status`: the typed status document (``AgentStatusDocument``), anonymous like
    /// `/readyz`, always 200 (the document says whether the agent is ready).
    func statusDocument() async -> Response {
        APIResponse.json(AgentStatusDocument(readiness: await status.readiness()).json())
    }

    func metrics(_ request: Request, _ context: some LedgerRequestContextProtocol) async throws -> Response {
        _ = try await authorize(request, context, .metrics)
        guard let registry else { throw APIFailure.notFound("metrics are not enabled") }
        await status.refreshMetrics()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16_384)
        registry.emit(into: &buffer)
        return APIResponse.bytes(
            buffer, contentType: "text/plain; version=0.0.4; charset=utf-8", cache: APIResponse.noStore)
    }

    // MARK: - tlog-tiles

    func checkpoint(_ request: Request, _ context: some LedgerRequestContextProtocol) async throws -> Response {
        _ = try await authorize(request, context, .read)
        let found = try await readers.read { reader -> (CheckpointRecord, [Cosignature])? in
            guard let record = try reader.latestCheckpoint() else { return nil }
            return (record, try reader.cosignatures(checkpointSize: record.size))
        }
        guard let found else { throw APIFailure.notFound("no checkpoint has been sealed yet") }
        let (record, cosignatures) = found
        return APIResponse.text(servedNote(record, cosignatures), cache: APIResponse.noStore)
    }

    private func servedNote(_ record: CheckpointRecord, _ cosignatures: [Cosignature]) -> String {
        let (text, skipped) = ServedCheckpoint.text(note: record.note, cosignatures: cosignatures)
        if !skipped.isEmpty {
            logger.warning(
                "stored cosignatures left out of the served checkpoint",
                metadata: ["size": "\(record.size)", "witnesses": "\(skipped.joined(separator: ", "))"])
        }
        return text
    }

    private enum TileOutcome: Sendable {
        case data([UInt8])
        case beyond(sealed: UInt64)
        case pruned(String)
        case missing
    }

    func tile(_ request: Request, _ context: some LedgerRequestContextProtocol) async throws -> Response {
        let upstream = try await authorize(request, context, .read)?.upstream
        let path = request.uri.path
        guard path.hasPrefix(prefix + "/") else { throw APIFailure.notFound("not found") }
        let relative = path.dropFirst(prefix.count + 1)
        let id: TileID
        do {
            id = try TileID(parsingPath: relative)
        } catch {
            throw APIFailure.badRequest(error.description)
        }
        let outcome = try await readers.read { reader -> TileOutcome in
            let sealed = try reader.sealedSize()
            guard id.isContained(inTreeOfSize: sealed) else { return .beyond(sealed: sealed) }
            if id.isEntryBundle {
                let bundle: [UInt8]?
                do {
                    bundle = try reader.entryBundle(index: id.index, width: id.width)
                } catch let error as StoreError where error.kind == .pruned {
                    return .pruned(error.description)
                }
                guard let bundle else { return .missing }
                if let upstream { self.recordFetch(upstream: upstream, bundle: id, reader: reader) }
                return .data(bundle)
            }
            return try reader.tileData(level: id.level, index: id.index, width: id.width).map { .data($0) }
                ?? .missing
        }
        switch outcome {
        case .data(let bytes):
            return APIResponse.bytes(bytes, cache: id.isPartial ? APIResponse.partial : APIResponse.immutable)
        case .beyond(let sealed):
            throw APIFailure.notFound(
                sealed == 0
                    ? "\(id.path) does not exist yet: no checkpoint has been sealed"
                    : "\(id.path) lies beyond the latest checkpoint (tree size \(sealed))")
        case .pruned(let reason):
            throw APIFailure(.gone, "\(id.path) is no longer served: \(reason)")
        case .missing:
            logger.error(
                "a tile of the sealed tree is missing from the store",
                metadata: ["tile": "\(id.path)", "hint": "run `edge-ledger verify`"])
            throw APIFailure.internalError
        }
    }

    // MARK: - tlog-proof

    private enum ProofOutcome: Sendable {
        case proof(TLogProof)
        case noCheckpoint(UInt64?)
        case beyond(size: UInt64)
    }

    func proof(_ request: Request, _ context: some LedgerRequestContextProtocol) async throws -> Response {
        _ = try await authorize(request, context, .read)
        let indexText = context.parameters.get("index") ?? ""
        guard let index = DecimalNumber.parse(indexText) else {
            throw APIFailure.badRequest(
                "entry index \"\(indexText.prefix(40))\" is not a decimal number 0...18446744073709551615 "
                    + "without leading zeros")
        }
        let sizes = request.uri.queryParameters.getAll("size")
        guard sizes.count <= 1 else { throw APIFailure.badRequest("size is given more than once") }
        let size: UInt64?
        if let text = sizes.first {
            guard let value = DecimalNumber.parse(text) else {
                throw APIFailure.badRequest(
                    "size \"\(text.prefix(40))\" is not a decimal number without leading zeros")
            }
            size = value
        } else {
            size = nil
        }
        let outcome = try await readers.read { reader -> ProofOutcome in
            let found: CheckpointRecord?
            if let size {
                found = try reader.checkpoint(size: size)
            } else {
                found = try reader.latestCheckpoint()
            }
            guard let record = found else { return .noCheckpoint(size) }
            guard index < record.size else { return .beyond(size: record.size) }
            let hashes = try reader.inclusionProof(index: index, size: record.size)
            let cosignatures = try reader.cosignatures(checkpointSize: record.size)
            var extra: [UInt8]? = nil
            do {
                extra = try reader.encodedEntries(from: index, to: index + 1).first
            } catch let error as StoreError where error.kind == .pruned {
                extra = nil  // the leaf hash is still proved
            }
            return .proof(
                TLogProof(
                    extra: extra, index: index, hashes: hashes, checkpoint: self.servedNote(record, cosignatures)))
        }
        switch outcome {
        case .proof(let proof):
            return APIResponse.text(proof.text, cache: APIResponse.noStore)
        case .noCheckpoint(nil):
            throw APIFailure.notFound("no checkpoint has been sealed yet")
        case .noCheckpoint(let size?):
            throw APIFailure.notFound("no checkpoint was sealed at tree size \(size)")
        case .beyond(let size):
            throw APIFailure.notFound("entry \(index) is not in the tree of size \(size)")
        }
    }
}
