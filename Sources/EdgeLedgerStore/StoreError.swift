import EdgeLedgerCore

/// A ledger store operation failed: what happened, and what the operator can do about it.
///
/// `description` reads like "SQLITE_FULL: no space left on device while appending entry 123;
/// free space or raise the quota".
public struct StoreError: ExplainedError, Equatable {
    /// The class of failure, for programs (metrics, retry decisions).
    public enum Kind: Sendable, Hashable {
        /// The file system is full (`SQLITE_FULL`).
        case diskFull
        /// The database file is damaged (`SQLITE_CORRUPT`), or is not an SQLite database.
        case corrupt
        /// The file is an SQLite database but not an EdgeLedger store.
        case notALedger
        /// Another connection holds a lock longer than the busy timeout, or another process has
        /// the store open for writing.
        case busy
        /// The file or its directory is not writable.
        case readOnly
        /// The storage device reported an I/O error.
        case io
        /// The file cannot be opened or created.
        case cannotOpen
        /// The store was built with another hash algorithm than the one requested.
        case wrongHashAlgorithm
        /// The store belongs to another log origin than the one requested.
        case wrongOrigin
        /// The store's schema is newer than this program understands.
        case newerSchema
        /// A reading cannot become an entry (QoS, topic or size); reject it at ingest.
        case invalidReading
        /// A requested index, size or range lies outside what the store holds.
        case outOfRange
        /// The requested entry's bytes were pruned by retention; only its leaf hash remains.
        case pruned
        /// Data that must exist (an entry, a tile) is missing: the store is damaged.
        case missing
        /// The signed note handed to `seal` does not match the checkpoint it should sign.
        case invalidNote
        /// A request conflicts with the stored state (e.g. an acknowledgement of an unknown root).
        case conflict
        /// Any other SQLite failure.
        case sqlite
        /// The database server cannot be reached or went away (PostgreSQL); retry later.
        case unavailable
        /// Any other database server failure (PostgreSQL).
        case database
        /// The writer's lease on a gateway was taken over by another upstream instance (its
        /// fencing token is stale); nothing was written.
        case leaseLost
    }

    /// The class of failure.
    public var kind: Kind
    /// What happened, e.g. "SQLITE_FULL: no space left on device while appending entry 123".
    public var message: String
    /// What to do, e.g. "free space or raise the quota"; `nil` when nothing useful can be said.
    public var hint: String?
    /// The SQLite extended result code, when SQLite reported the failure.
    public var sqliteCode: Int32?

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, hint: String? = nil, sqliteCode: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.hint = hint
        self.sqliteCode = sqliteCode
    }

    /// The message and the hint, separated by a semicolon (these errors end up in log lines).
    public var description: String {
        if let hint { "\(message); \(hint)" } else { message }
    }
}
