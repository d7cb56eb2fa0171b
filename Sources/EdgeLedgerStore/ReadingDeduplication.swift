/// How the store deduplicates the readings it folds from the ingest journal
/// (``LedgerStore/configureDeduplication(_:)``).
///
/// Each reading's key is computed by ``key`` (the gateway knows the topics' `dedup` settings and
/// their payload formats) when it is folded, in the transaction that appends the entries: a
/// reading whose key the `dedup_keys` table holds within its window is recorded in `duplicates`
/// instead of becoming an entry. The decision, the entry and the journal position commit
/// together, so a crash never stores a reading twice nor counts a duplicate twice.
public struct ReadingDeduplication: Sendable {
    /// Default bound of the `duplicates` table's rows (the total count is kept apart).
    public static let defaultMaxRecords = 100_000

    /// Most keys remembered; past it the keys closest to the end of their window are forgotten
    /// (``DedupFoldReport/evictedKeys``): a later redelivery of one of them becomes an entry,
    /// never a lost reading.
    public var maxKeys: Int
    /// Most rows kept in the `duplicates` table (the oldest are deleted; the total in `meta`
    /// keeps counting).
    public var maxRecords: Int
    /// The key of a reading; called on the journal's folder thread, under the store's lock.
    public var key: @Sendable (ReadingInput) -> ReadingKey
    /// Told what each committed fold deduplicated (only when it used keys).
    public var onFold: (@Sendable (DedupFoldReport) -> Void)?

    /// Creates a deduplication setting.
    public init(
        maxKeys: Int, maxRecords: Int = Self.defaultMaxRecords, key: @escaping @Sendable (ReadingInput) -> ReadingKey,
        onFold: (@Sendable (DedupFoldReport) -> Void)? = nil
    ) {
        self.maxKeys = max(1, maxKeys)
        self.maxRecords = max(1, maxRecords)
        self.key = key
        self.onFold = onFold
    }
}
