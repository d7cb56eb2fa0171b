import EdgeLedgerCore

/// What deduplication makes of one reading (``ReadingDeduplication/key``).
public enum ReadingKey: Sendable, Equatable {
    /// The reading's topic is not deduplicated.
    case none
    /// The topic is deduplicated but the reading has no key (e.g. the JSON member is absent): it
    /// is stored, and counted (``DedupFoldReport/missingKeys``).
    case missing
    /// The reading's key (SHA-256 of what identifies it) and how long, in nanoseconds after its
    /// receive time, a reading with the same key is a duplicate.
    case key(Hash32, windowNanoseconds: Int64)
}

/// A reading that was not appended because an entry with its key was stored within the window.
public struct DuplicateReading: Sendable, Equatable {
    /// Receive time of the duplicate (Unix ns).
    public var receivedAt: Int64
    /// Its topic.
    public var topic: String
    /// Its key (SHA-256).
    public var key: Hash32
    /// The entry that holds the first copy.
    public var originalIndex: UInt64

    /// Creates a record.
    public init(receivedAt: Int64, topic: String, key: Hash32, originalIndex: UInt64) {
        self.receivedAt = receivedAt
        self.topic = topic
        self.key = key
        self.originalIndex = originalIndex
    }
}

/// What deduplication did in one committed fold (``ReadingDeduplication/onFold``).
public struct DedupFoldReport: Sendable, Equatable {
    /// Readings recorded as duplicates instead of entries.
    public var duplicates = 0
    /// The first of them, for the log.
    public var firstDuplicate: DuplicateReading? = nil
    /// Readings on deduplicated topics without a key (stored as entries).
    public var missingKeys = 0
    /// Keys forgotten before their window ended because ``ReadingDeduplication/maxKeys`` was reached.
    public var evictedKeys = 0
    /// Keys forgotten because their window ended.
    public var expiredKeys = 0
    /// Keys remembered after the fold.
    public var keys = 0

    /// Creates an empty report.
    public init() {}
}
