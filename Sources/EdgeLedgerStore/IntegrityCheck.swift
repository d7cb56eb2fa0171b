/// How much of the database file ``LedgerStore`` checks when it opens.
public enum IntegrityCheck: String, Sendable, Hashable, CaseIterable {
    /// Only the header, schema version, application id and metadata: instant at any size.
    case header
    /// SQLite's `PRAGMA quick_check`: every page's structure, O(file size) — seconds per GB.
    case quick
}
