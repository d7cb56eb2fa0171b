import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerSystem
import Synchronization

/// A log the witness knows: its origin, the keys its checkpoints must be signed with, and its
/// hash function (for consistency proofs).
public struct WitnessedLog: Sendable {
    /// The log's origin.
    public var origin: String
    /// Verifiers of the log's checkpoint signatures.
    public var verifiers: [any NoteVerifier]
    /// The log's Merkle hash function.
    public var hasher: any MerkleHasher
    /// Who may submit the log's checkpoints when authenticated (`gateways[].witness_clients`):
    /// token names and certificate subjects (see ``WitnessClient/matches(_:)``).
    public var clients: [String]
    /// How far beyond the collector's verified size a checkpoint may be cosigned
    /// (`gateways[].max_growth`; with a witness bounded by collection).
    public var maxGrowth: UInt64
    /// Which of ``verifiers`` must have signed each checkpoint.
    public var policy: NoteSignaturePolicy

    /// Creates a log entry.
    public init(
        origin: String, verifiers: [any NoteVerifier], hasher: any MerkleHasher, clients: [String] = [],
        maxGrowth: UInt64 = GatewayConfiguration.defaultMaxGrowth, policy: NoteSignaturePolicy = .any
    ) {
        self.origin = origin
        self.verifiers = verifiers
        self.hasher = hasher
        self.clients = clients
        self.maxGrowth = maxGrowth
        self.policy = policy
    }

    /// The log of an enrolled gateway: its verifier keys, hash, witness clients, growth bound
    /// and signature policy.
    ///
    /// - Throws: the key's or the hash algorithm's error when one is unusable.
    public init(gateway: GatewayConfiguration) throws {
        self.init(
            origin: gateway.origin, verifiers: try gateway.verifierKeys.map { try NoteKeys.verifier(from: $0) },
            hasher: try OpenSSLHasher(gateway.hash), clients: gateway.witnessClients, maxGrowth: gateway.maxGrowth,
            policy: gateway.requireSignatures)
    }
}

/// The answer to an `add-checkpoint` request.
public struct WitnessResponse: Sendable, Equatable {
    /// How the request ended.
    public enum Outcome: String, Sendable, Equatable, CaseIterable {
        /// 200: verified, recorded and cosigned.
        case cosigned
        /// 400: the body is malformed, or the old size exceeds the checkpoint size.
        case malformed
        /// 403: no signature by a trusted key of the log verifies.
        case badSignature
        /// 403: the request was authenticated by a credential that may not submit this origin.
        case clientNotAllowed
        /// 404: the origin is not a known log.
        case unknownLog
        /// 409: the old size is not the witness's size, or a checkpoint of the same size has
        /// another root (a fork).
        case conflict
        /// 422: the consistency proof does not verify.
        case badProof
        /// 422: the origin is forked (fork evidence is stored); the witness cosigns none of it.
        case forked
        /// 503: a first checkpoint larger than what the collector verified of the log; retry
        /// once collection has caught up.
        case notCollected
        /// 500: the witness could not record or sign.
        case internalError
    }

    /// How the request ended.
    public var outcome: Outcome
    /// The HTTP status code.
    public var status: Int
    /// The `Content-Type` of ``body``.
    public var contentType: String
    /// The response body: cosignature lines (200), the witness's size (409), or a reason.
    public var body: String
    /// The checkpoint's origin, when it could be parsed.
    public var origin: String?
    /// The checkpoint's size, when it could be parsed.
    public var size: UInt64?
    /// A sentence for the log.
    public var message: String
    /// Whether this request revealed a fork (fork evidence was stored).
    public var forkDetected = false

    static func failure(
        _ outcome: Outcome, _ status: Int, _ message: String, origin: String? = nil, size: UInt64? = nil
    ) -> WitnessResponse {
        WitnessResponse(
            outcome: outcome, status: status, contentType: "text/plain; charset=utf-8", body: message + "\n",
            origin: origin, size: size, message: message)
    }
}

/// The reference upstream's witness (C2SP tlog-witness): for each known log it remembers the
/// latest checkpoint it cosigned (durably, in the ``CollectorStore``), and cosigns a new one only
/// when the log's signature verifies and a consistency proof shows it extends the remembered one.
///
/// It never cosigns two inconsistent checkpoints of a log nor a smaller one after a larger: the
/// check of the old size and the recording of the new checkpoint are one compare-and-set
/// transaction, and the cosignature is made only after it committed.
///
/// **One view per origin.** The same transaction checks the checkpoint against what the
/// upstream's collector verified of the log (``CollectorStore/addWitnessCheckpoint(_:hasher:boundFirstByCollection:maxGrowth:decide:)``):
/// a root that differs from the collected tree's at the same size is stored as fork evidence and
/// refused (422), and a forked origin is never cosigned again. With `boundFirstByCollection`, a
/// first checkpoint is cosigned only up to the size the collector verified (503 until then), so a
/// signed claim of an absurd size never becomes the witness's state.
public final class Witness: Sendable {
    /// The witness's cosigner (name and key).
    public let cosigner: CosignatureV1Signer
    private let logs: Mutex<[String: WitnessedLog]>
    private let batcher: WitnessBatcher
    private let boundFirstByCollection: Bool

    /// A witness for `logs`, cosigning with `cosigner`, remembering state in `store`.
    ///
    /// - Parameter boundFirstByCollection: cosign a first checkpoint of a log only up to the size
    ///   the collector sharing `store` verified (the reference upstream collects every log it
    ///   witnesses); `false` for a witness without a collector.
    public init(
        cosigner: CosignatureV1Signer, logs: [WitnessedLog], store: CollectorStore, boundFirstByCollection: Bool = true
    ) {
        self.cosigner = cosigner
        self.logs = Mutex(Dictionary(logs.map { ($0.origin, $0) }, uniquingKeysWith: { first, _ in first }))
        self.batcher = WitnessBatcher(store: store)
        self.boundFirstByCollection = boundFirstByCollection
    }

    /// The witness's name.
    public var name: String { cosigner.name }

    /// Replaces the logs the witness accepts (the registry changed: a gateway was enrolled,
    /// disabled or its keys rotated); requests under way finish with the logs they started with.
    public func setLogs(_ logs: [WitnessedLog]) {
        let table = Dictionary(logs.map { ($0.origin, $0) }, uniquingKeysWith: { first, _ in first })
        self.logs.withLock { $0 = table }
    }

    /// The log of `origin`, when the witness accepts it (the mirror shares the witness's logs).
    func log(origin: String) -> WitnessedLog? { logs.withLock { $0[origin] } }

    /// The origins the witness accepts.
    public var origins: [String] { logs.withLock { $0.keys.sorted() } }

    /// The verifier key of the witness's cosignatures.
    public var verifierKey: VerifierKey { cosigner.verifierKey }

    /// Handles an `add-checkpoint` request body from `client` (`nil`: anonymous).
    public func addCheckpoint(body: [UInt8], client: WitnessClient? = nil) async -> WitnessResponse {
        let request: WitnessRequest
        let checkpoint: Checkpoint
        let log: WitnessedLog
        switch admit(body: body, client: client) {
        case .refused(let response): return response
        case .admitted(let r, let c, let l): (request, checkpoint, log) = (r, c, l)
        }
        let origin = checkpoint.origin
        let size = checkpoint.size
        let next = WitnessLogState(
            origin: origin, size: size, root: checkpoint.root, note: request.note.serialized,
            updatedAt: SystemClock.nowNanoseconds())
        do {
            let update = WitnessUpdate(
                next, hasher: log.hasher, boundFirstByCollection: boundFirstByCollection, maxGrowth: log.maxGrowth
            ) { current throws(WitnessRejection) in
                try Self.checkRules(request, checkpoint, hasher: log.hasher, current: current)
            }
            // Concurrent requests share a transaction (group commit).
            let addition = try await batcher.add(update)
            switch addition {
            case .recorded: break
            case .forked(let evidence, let new):
                var response = WitnessResponse.failure(
                    .forked, 422,
                    "fork alarm for \"\(origin)\"\(new ? " (detected now)" : ""): \(evidence.detail); the witness "
                        + "cosigns nothing of this origin any more (evidence \(evidence.id): edge-ledger-upstream "
                        + "--print-forks)", origin: origin, size: size)
                response.forkDetected = new
                return response
            case .notCollected(let collected):
                return .failure(
                    .notCollected, 503,
                    "not cosigned yet: this upstream cosigns a first checkpoint only up to the size its collector "
                        + "verified (\(collected)), and later ones at most max_growth = \(log.maxGrowth) beyond it; "
                        + "retry once it has collected more", origin: origin, size: size)
            }
        } catch let rejection as WitnessRejection {
            switch rejection {
            case .conflict(let known, let why):
                return WitnessResponse(
                    outcome: .conflict, status: 409, contentType: "text/x.tlog.size", body: "\(known)\n",
                    origin: origin, size: size, message: "\(why) the witness's size \(known)")
            case .malformed(let why):
                return .failure(.malformed, 400, why, origin: origin, size: size)
            case .badProof(let why):
                return .failure(.badProof, 422, "consistency proof does not verify: \(why)", origin: origin, size: size)
            }
        } catch {
            return .failure(.internalError, 500, "cannot record the checkpoint: \(error)", origin: origin, size: size)
        }
        do {
            let line = try cosigner.cosign(text: request.note.text).line
            return WitnessResponse(
                outcome: .cosigned, status: 200, contentType: "text/plain; charset=utf-8", body: line + "\n",
                origin: origin, size: size, message: "cosigned")
        } catch {
            return .failure(.internalError, 500, "cannot cosign: \(error)", origin: origin, size: size)
        }
    }
}

/// Why the witness's compare-and-set refused a request.
enum WitnessRejection: Error {
    case conflict(UInt64, String)
    case malformed(String)
    case badProof(String)
}
