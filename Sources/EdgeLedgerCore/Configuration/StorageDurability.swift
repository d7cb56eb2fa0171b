/// How hard a commit tries to reach the disk before a reading is acknowledged.
public enum StorageDurability: String, Sendable, Equatable, CaseIterable {
    /// WAL with `synchronous=NORMAL`: a committed reading survives a crash of the process
    /// (SIGKILL, panic), not necessarily a power loss. The default.
    case process
    /// WAL with `synchronous=FULL`: every commit is fsynced and survives a power loss.
    case power
}
