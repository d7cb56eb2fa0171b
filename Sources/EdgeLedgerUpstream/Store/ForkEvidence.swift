import EdgeLedgerCore
import EdgeLedgerSystem

/// The proof that a gateway equivocated: two checkpoints of one origin, both validly signed by
/// the gateway, that cannot belong to one log — the one the upstream's witness cosigned (or was
/// asked to cosign) and the one its collector verified against the entries it holds.
///
/// While an origin has evidence, the upstream neither anchors nor cosigns it, and its collector
/// stops pulling; `edge-ledger-upstream --print-forks` prints every record.
public struct ForkEvidence: Sendable, Hashable {
    /// Which part of the upstream saw the conflict: `witness` (a push against the collected tree)
    /// or `collector` (a verified tree against the cosigned checkpoints).
    public enum Detector: String, Sendable, Hashable {
        /// An `add-checkpoint` request conflicted with the collected tree.
        case witness
        /// A verified checkpoint conflicted with a cosigned one.
        case collector
        /// A checkpoint pushed to the mirror (`mirror/add-checkpoint`) conflicted with the
        /// collected tree, a cosigned checkpoint or another pending one.
        case mirror
    }

    /// Row id.
    public var id: Int64
    /// The gateway log's origin.
    public var origin: String
    /// Who detected it.
    public var detectedBy: Detector
    /// Size of the checkpoint on the witness's side.
    public var witnessSize: UInt64
    /// Its root.
    public var witnessRoot: Hash32
    /// Its signed note, as pushed to the witness.
    public var witnessNote: String
    /// Size of the checkpoint on the collector's side.
    public var collectedSize: UInt64
    /// Its root.
    public var collectedRoot: Hash32
    /// Its signed note, as the gateway served it to the collector.
    public var collectedNote: String
    /// What disagrees, in a sentence (e.g. the root the collected entries give at the witness's
    /// size).
    public var detail: String
    /// When it was detected: Unix nanoseconds, UTC.
    public var detectedAt: Int64

    /// Creates a record.
    public init(
        id: Int64 = 0, origin: String, detectedBy: Detector, witnessSize: UInt64, witnessRoot: Hash32,
        witnessNote: String, collectedSize: UInt64, collectedRoot: Hash32, collectedNote: String, detail: String,
        detectedAt: Int64
    ) {
        self.id = id
        self.origin = origin
        self.detectedBy = detectedBy
        self.witnessSize = witnessSize
        self.witnessRoot = witnessRoot
        self.witnessNote = witnessNote
        self.collectedSize = collectedSize
        self.collectedRoot = collectedRoot
        self.collectedNote = collectedNote
        self.detail = detail
        self.detectedAt = detectedAt
    }
}

extension ForkEvidence {
    /// Evidence that `pushed` (a checkpoint pushed to the witness or the mirror) contradicts the
    /// signed checkpoint of `size`, `root` and `note` the upstream already holds.
    init(
        pushed: WitnessLogState, detectedBy: Detector, against size: UInt64, _ root: Hash32, _ note: String,
        detail: String
    ) {
        self.init(
            origin: pushed.origin, detectedBy: detectedBy, witnessSize: pushed.size, witnessRoot: pushed.root,
            witnessNote: pushed.note, collectedSize: size, collectedRoot: root, collectedNote: note, detail: detail,
            detectedAt: pushed.updatedAt)
    }
}
