/// How far a committed append survives failures; maps to SQLite's `synchronous` setting in WAL
/// mode. See `docs/PERFORMANCE.md` for the measured cost of each.
public enum Durability: String, Sendable, Hashable, CaseIterable, Codable {
    /// WAL with `synchronous=NORMAL`: a commit survives a crash or kill of the process, but the
    /// last commits before a power loss or kernel panic may be lost (the database stays
    /// consistent). The default.
    case process
    /// WAL with `synchronous=FULL`: every commit is fsynced before it returns, so it survives
    /// power loss as far as the storage device honours flushes.
    case power
}
