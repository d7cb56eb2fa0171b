import EdgeLedgerCore

/// The answer to a request to the mirror (`mirror/add-checkpoint`, `mirror/add-entries`).
public struct MirrorResponse: Sendable, Equatable {
    /// How the request ended.
    public enum Outcome: String, Sendable, Equatable, CaseIterable {
        /// 200 to add-checkpoint: the pending checkpoint is recorded (empty body).
        case recorded
        /// 200 to add-entries: every entry is stored, the checkpoint is the mirror's; the body is
        /// the mirror's cosignature.
        case committed
        /// 202: some packages were stored, not all (mirror-info says where to resume).
        case accepted
        /// 400: the body is malformed or ended before the first package was stored.
        case malformed
        /// 401: no credential; 403 with an unknown one.
        case unauthenticated
        /// 403: the credential may not upload this origin, or no trusted signature verifies.
        case forbidden
        /// 404: the origin is not a known log.
        case unknownLog
        /// 409: a stale old size or upload end, or an upload start beyond the next entry.
        case conflict
        /// 413: the request inflates beyond the configured bound and nothing was stored.
        case tooLarge
        /// 422: a package's subtree consistency proof (or add-checkpoint's consistency proof)
        /// does not verify; nothing of that package is stored.
        case badProof
        /// 422: the origin is forked (fork evidence is stored).
        case forked
        /// 500: the store failed, or the mirror could not sign.
        case internalError
    }

    /// How the request ended.
    public var outcome: Outcome
    /// The HTTP status code.
    public var status: Int
    /// The `Content-Type` of ``body``.
    public var contentType: String
    /// The body.
    public var body: String
    /// The origin, when known.
    public var origin: String?
    /// A sentence for the log.
    public var message: String
    /// Entries this request stored (held ones skipped).
    public var storedEntries: UInt64 = 0
    /// Why a package was refused (a `reason` label of the metrics), if one was.
    public var refusal: String?
    /// Whether this request revealed a fork (fork evidence was stored).
    public var forkDetected = false
    /// The size of the checkpoint committed and cosigned (200 to add-entries).
    public var committedSize: UInt64?
    /// Where an add-entries request that verified a package spent its time (`nil` otherwise).
    public var phases: Phases?

    /// Where an add-entries request spent its time, from its handler's start to its answer:
    /// the three add up to the whole.
    public struct Phases: Sendable, Equatable {
        /// Receiving, inflating, decoding and hashing the body, and waiting for the CPU meanwhile.
        public var receive: Duration
        /// Waiting for an earlier request of the origin to stage up to this one's start.
        public var turn: Duration
        /// In the store: reading the next entry, staging, committing.
        public var store: Duration
    }

    static func failure(_ outcome: Outcome, _ status: Int, _ message: String, origin: String? = nil) -> MirrorResponse {
        MirrorResponse(
            outcome: outcome, status: status, contentType: "text/plain; charset=utf-8", body: message + "\n",
            origin: origin, message: message)
    }

    static func info(
        _ outcome: Outcome, _ status: Int, _ info: MirrorInfo, origin: String, _ message: String
    )
        -> MirrorResponse
    {
        MirrorResponse(
            outcome: outcome, status: status, contentType: MirrorInfo.contentType, body: info.text, origin: origin,
            message: message)
    }
}
