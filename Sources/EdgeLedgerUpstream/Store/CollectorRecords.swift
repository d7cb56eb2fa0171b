import EdgeLedgerCore

/// What the reference upstream's witness remembers about one log: the latest checkpoint it
/// cosigned (C2SP tlog-witness keeps exactly this per origin).
public struct WitnessLogState: Sendable, Hashable {
    /// The log's origin.
    public var origin: String
    /// Size of the latest cosigned checkpoint.
    public var size: UInt64
    /// Its root hash.
    public var root: Hash32
    /// The signed checkpoint note as submitted (kept as evidence).
    public var note: String
    /// When it was recorded: Unix nanoseconds, UTC.
    public var updatedAt: Int64

    /// Creates a record.
    public init(origin: String, size: UInt64, root: Hash32, note: String, updatedAt: Int64) {
        self.origin = origin
        self.size = size
        self.root = root
        self.note = note
        self.updatedAt = updatedAt
    }
}

/// What the reference upstream's collector holds of one gateway log.
///
/// Entries `0 ..< verifiedSize` are verified against the gateway's signed checkpoint at
/// ``verifiedSize``. Entries `verifiedSize ..< stagedSize` were fetched while catching up to a
/// newer checkpoint and are kept so that an interrupted catch-up resumes where it stopped; they
/// count as nothing (not acknowledged, not anchored) until the root over them matches a signed
/// checkpoint, and are discarded when it does not.
public struct CollectorGatewayState: Sendable, Hashable {
    /// Row id of the gateway in the store.
    public var id: Int64
    /// The gateway log's origin.
    public var origin: String
    /// The log's hash algorithm.
    public var hashAlgorithm: HashAlgorithm
    /// Size of the latest verified checkpoint (0: none yet).
    public var verifiedSize: UInt64
    /// Its root (`nil` before the first verified checkpoint).
    public var verifiedRoot: Hash32?
    /// Its signed note, as served by the gateway.
    public var verifiedNote: String?
    /// When it was verified: Unix nanoseconds, UTC.
    public var verifiedAt: Int64?
    /// Entries held, verified or staged (≥ ``verifiedSize``).
    public var stagedSize: UInt64
    /// The largest size acknowledged to the gateway with `POST /ack`.
    public var ackedSize: UInt64
    /// When that acknowledgement was accepted: Unix nanoseconds, UTC.
    public var ackedAt: Int64?
    /// The collection lease (which instance collects the gateway), or `nil` when never leased.
    public var lease: CollectorLease?

    /// Creates a record.
    public init(
        id: Int64, origin: String, hashAlgorithm: HashAlgorithm, verifiedSize: UInt64 = 0, verifiedRoot: Hash32? = nil,
        verifiedNote: String? = nil, verifiedAt: Int64? = nil, stagedSize: UInt64 = 0, ackedSize: UInt64 = 0,
        ackedAt: Int64? = nil, lease: CollectorLease? = nil
    ) {
        self.lease = lease
        self.id = id
        self.origin = origin
        self.hashAlgorithm = hashAlgorithm
        self.verifiedSize = verifiedSize
        self.verifiedRoot = verifiedRoot
        self.verifiedNote = verifiedNote
        self.verifiedAt = verifiedAt
        self.stagedSize = stagedSize
        self.ackedSize = ackedSize
        self.ackedAt = ackedAt
    }
}

/// A gateway checkpoint the collector verified against the entries it holds.
public struct CollectedCheckpoint: Sendable, Hashable {
    /// The gateway log's origin.
    public var origin: String
    /// Tree size.
    public var size: UInt64
    /// Root hash.
    public var root: Hash32
    /// The signed note as served (log signatures and any witness cosignatures).
    public var note: String
    /// When it was verified: Unix nanoseconds, UTC.
    public var verifiedAt: Int64

    /// Creates a record.
    public init(origin: String, size: UInt64, root: Hash32, note: String, verifiedAt: Int64) {
        self.origin = origin
        self.size = size
        self.root = root
        self.note = note
        self.verifiedAt = verifiedAt
    }
}

/// One anchoring job in the durable queue: run the anchoring command with ``document`` on stdin.
public struct AnchorJob: Sendable, Hashable {
    /// Queue id (increasing in insertion order).
    public var id: Int64
    /// The checkpoint's origin.
    public var origin: String
    /// The checkpoint's size.
    public var size: UInt64
    /// The JSON document for the command's stdin.
    public var document: String
    /// Failed attempts so far.
    public var attempts: Int
    /// Earliest time of the next attempt: Unix nanoseconds, UTC.
    public var nextAttemptAt: Int64
    /// Why the last attempt failed.
    public var lastError: String?
    /// When it was queued: Unix nanoseconds, UTC.
    public var createdAt: Int64
    /// When the command succeeded, or `nil` while pending.
    public var doneAt: Int64?
    /// The checkpoint's root (the anchored hash), when its verified checkpoint is stored.
    public var root: Hash32?

    /// The anchoring id: `<origin>#<size>`, the same at every attempt and on every instance.
    public var anchorID: String { "\(origin)#\(size)" }

    /// Creates a record.
    public init(
        id: Int64, origin: String, size: UInt64, document: String, attempts: Int = 0, nextAttemptAt: Int64,
        lastError: String? = nil, createdAt: Int64, doneAt: Int64? = nil, root: Hash32? = nil
    ) {
        self.root = root
        self.id = id
        self.origin = origin
        self.size = size
        self.document = document
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.doneAt = doneAt
    }
}

/// Entries held back to back in one buffer, as parsed from entry bundles: no allocation per entry.
public struct CollectorEntryBatch: Sendable {
    /// The entries' bytes, concatenated.
    public private(set) var bytes: [UInt8] = []
    /// Entry `i` is `bytes[ends[i-1] ..< ends[i]]` (with `ends[-1]` = 0).
    public private(set) var ends: [Int] = []

    /// An empty batch.
    public init(reservingBytes capacity: Int = 0, entries: Int = 0) {
        bytes.reserveCapacity(capacity)
        ends.reserveCapacity(entries)
    }

    /// Number of entries.
    public var count: Int { ends.count }

    /// Whether the batch holds no entry.
    public var isEmpty: Bool { ends.isEmpty }

    /// Appends one entry.
    public mutating func append(_ entry: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: entry)
        ends.append(bytes.count)
    }

    /// Appends one entry.
    public mutating func append(_ entry: [UInt8]) {
        entry.withUnsafeBytes { append($0) }
    }

    /// The bytes of entry `i`.
    public func entry(_ i: Int) -> ArraySlice<UInt8> {
        bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]]
    }

    /// Calls `body` with each entry's bytes in order.
    public func forEach(_ body: (Int, UnsafeRawBufferPointer) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { raw in
            var start = 0
            for (i, end) in ends.enumerated() {
                try body(i, UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                start = end
            }
        }
    }
}
