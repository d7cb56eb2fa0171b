import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerSystem

/// The reference upstream as a C2SP tlog-mirror: gateways behind NAT push their logs to it.
///
/// `add-checkpoint` sets the pending checkpoint of an origin with the witness's rules (the
/// gateway's signature, old size, consistency proof), checked against everything the upstream
/// holds of the origin (``CollectorStore/addMirrorCheckpoint(_:hasher:decide:)``: the collected
/// tree, the witness's cosigned checkpoints, other pending ones; fork evidence on conflict).
/// `add-entries` streams entry packages, authenticates each by its subtree consistency proof
/// against the pending checkpoint at `upload_end`, and stores it in the collected log's tables
/// exactly as the collector does (compare-and-set on the next entry under the origin's lock, so a
/// pull and a push of one origin can neither duplicate nor skip an entry). Once every entry up to
/// `upload_end` is held, the tree is verified like a pull (root recomputed from the stored tiles,
/// checked against the witness's checkpoints) and becomes the verified checkpoint; only after that
/// commit does the mirror answer with its cosignature — the gateway's proof that the upstream
/// holds its entries (DESIGN 13).
///
/// The mirror shares the witness's logs (enrolled gateways, their keys and `witness_clients`)
/// and requires an authenticated client allowed for the origin.
public final class Mirror: Sendable {
    /// The mirror's cosigner (name and key), distinct from the witness's.
    public let cosigner: CosignatureV1Signer
    let witness: Witness
    let store: CollectorStore
    let limits: MirrorUploadDecoder.Limits
    /// The most bytes one `add-entries` request may carry, compressed and inflated.
    public let maxRequestBytes: Int
    let anchoring: Bool
    let cosigners: [any NoteVerifier]
    let onVerified: (@Sendable (CollectedCheckpoint) -> Void)?
    /// The overlapping uploads of each origin on this instance.
    let uploads: MirrorUploadQueue

    /// A mirror for the witness's logs, signing with `cosigner`, storing in `store`.
    ///
    /// - Parameters:
    ///   - limits: the bounds of one package (``MirrorUploadDecoder/Limits``).
    ///   - maxRequestBytes: the most bytes one `add-entries` request may carry, before and after
    ///     inflating (a request over it ends; what it stored stays, 202).
    ///   - anchoring: queue an anchoring job for each committed checkpoint, like the collector.
    ///   - cosigners: the witness cosignatures the anchoring document may list.
    ///   - onVerified: called after each newly committed checkpoint (e.g. to wake the anchorer).
    ///   - maxWaitingUploads: `add-entries` requests of one origin that may wait for an earlier
    ///     one to stage up to their `upload_start` (a gateway's window); more get 409 at once.
    ///   - maxUploadWait: the longest such a request waits before it gets 409.
    public init(
        cosigner: CosignatureV1Signer, witness: Witness, store: CollectorStore,
        limits: MirrorUploadDecoder.Limits = MirrorUploadDecoder.Limits(), maxRequestBytes: Int = 64 << 20,
        anchoring: Bool = false, cosigners: [any NoteVerifier] = [],
        onVerified: (@Sendable (CollectedCheckpoint) -> Void)? = nil,
        maxWaitingUploads: Int = 8, maxUploadWait: Duration = .seconds(10)
    ) {
        self.uploads = MirrorUploadQueue(maxWaiting: maxWaitingUploads, maxWait: maxUploadWait)
        self.cosigner = cosigner
        self.witness = witness
        self.store = store
        self.limits = limits
        self.maxRequestBytes = maxRequestBytes
        self.anchoring = anchoring
        self.cosigners = cosigners
        self.onVerified = onVerified
    }

    /// The mirror's name.
    public var name: String { cosigner.name }

    /// The verifier key of the mirror's cosignatures: what pushing gateways configure as
    /// `upstreams[].mirror_key`.
    public var verifierKey: VerifierKey { cosigner.verifierKey }

    /// Handles a `mirror/add-checkpoint` request body from the authenticated `client`: 200 with
    /// an empty body when the checkpoint is the origin's pending checkpoint (the mirror does not
    /// cosign here), otherwise as a witness would answer.
    public func addCheckpoint(body: [UInt8], client: WitnessClient) async -> MirrorResponse {
        let request: WitnessRequest
        let checkpoint: Checkpoint
        let log: WitnessedLog
        switch witness.admit(body: body, client: client) {
        case .refused(let refusal): return Self.response(refusal)
        case .admitted(let r, let c, let l): (request, checkpoint, log) = (r, c, l)
        }
        let origin = checkpoint.origin
        let next = WitnessLogState(
            origin: origin, size: checkpoint.size, root: checkpoint.root, note: request.note.serialized,
            updatedAt: SystemClock.nowNanoseconds())
        do {
            _ = try await store.registerGateway(origin: origin, hash: log.hasher.algorithm)
            let addition = try await store.addMirrorCheckpoint(next, hasher: log.hasher) { current in
                try Witness.checkRules(request, checkpoint, hasher: log.hasher, current: current)
                // As the collector: a claim far beyond what is held is refused before any upload.
                let known = current?.size ?? 0
                if checkpoint.size > known, checkpoint.size - known > log.maxGrowth {
                    throw MirrorGrowthRefusal(size: checkpoint.size, known: known, maxGrowth: log.maxGrowth)
                }
            }
            switch addition {
            case .recorded:
                return MirrorResponse(
                    outcome: .recorded, status: 200, contentType: "text/plain; charset=utf-8", body: "",
                    origin: origin, message: "pending checkpoint of size \(checkpoint.size) recorded")
            case .forked(let evidence, let new):
                var response = MirrorResponse.failure(
                    .forked, 422,
                    "fork alarm for \"\(origin)\"\(new ? " (detected now)" : ""): \(evidence.detail); the mirror "
                        + "takes nothing of this origin any more (evidence \(evidence.id): edge-ledger-upstream "
                        + "--print-forks)", origin: origin)
                response.forkDetected = new
                return response
            }
        } catch let rejection as WitnessRejection {
            switch rejection {
            case .conflict(let known, let why):
                return MirrorResponse(
                    outcome: .conflict, status: 409, contentType: "text/x.tlog.size", body: "\(known)\n",
                    origin: origin, message: "\(why) the mirror's size \(known)")
            case .malformed(let why):
                return .failure(.malformed, 400, why, origin: origin)
            case .badProof(let why):
                return .failure(.badProof, 422, "consistency proof does not verify: \(why)", origin: origin)
            }
        } catch let refusal as MirrorGrowthRefusal {
            return .failure(
                .badProof, 422,
                "the checkpoint claims \(refusal.size - refusal.known) entries beyond the mirror's size \(refusal.known), "
                    + "more than gateways.max_growth = \(refusal.maxGrowth); nothing was recorded (raise max_growth if "
                    + "the gateway really logged that much)", origin: origin)
        } catch {
            return .failure(.internalError, 500, "cannot record the pending checkpoint: \(error)", origin: origin)
        }
    }

    /// A witness's refusal as the mirror's answer.
    static func response(_ refusal: WitnessResponse) -> MirrorResponse {
        let outcome: MirrorResponse.Outcome
        switch refusal.outcome {
        case .malformed: outcome = .malformed
        case .badSignature, .clientNotAllowed: outcome = .forbidden
        case .unknownLog: outcome = .unknownLog
        case .conflict: outcome = .conflict
        case .badProof: outcome = .badProof
        case .forked: outcome = .forked
        case .cosigned, .notCollected, .internalError: outcome = .internalError
        }
        return MirrorResponse(
            outcome: outcome, status: refusal.status, contentType: refusal.contentType, body: refusal.body,
            origin: refusal.origin, message: refusal.message)
    }
}

/// A pending checkpoint more than `max_growth` beyond the mirror's size (HTTP 422).
struct MirrorGrowthRefusal: Error {
    var size: UInt64
    var known: UInt64
    var maxGrowth: UInt64
}
