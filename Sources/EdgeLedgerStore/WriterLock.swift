import EdgeLedgerSystem

/// An exclusive `flock` on `<store>-writer.lock`, held while a ``LedgerStore`` is open, so that
/// two agents (or two stores in one process) never write one ledger.
///
/// A separate file is locked because closing any descriptor of the database file itself would
/// drop SQLite's POSIX locks on it. The lock file is never deleted (deleting lock files races).
package final class WriterLock: Sendable {
    private let fd: Int32

    package init(databasePath: String) throws(StoreError) {
        let path = databasePath + "-writer.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw StoreError(
                .cannotOpen, "cannot create the writer lock file \(path): \(reason)",
                hint: "check that the store's directory exists and is writable by the edge-ledger user")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            close(fd)
            if busy {
                throw StoreError(
                    .busy, "ledger store \(databasePath) is already open for writing (\(path) is locked)",
                    hint: "another edge-ledger agent uses this store; stop it, or use another storage.path")
            }
            throw StoreError(.io, "cannot lock \(path): \(reason)", hint: "check the file system")
        }
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
