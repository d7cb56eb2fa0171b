import CSQLite
import EdgeLedgerCore

/// The store's damage condition: one place that the sealer, readiness, metrics and status read.
///
/// A seal that finds the data it would extend damaged, or an integrity check that finds damage,
/// records it here; from then on ``LedgerStore/seal(now:sign:)`` refuses. The condition lasts
/// for the life of this `LedgerStore`; a restart over the same damage finds it again, because
/// every seal re-derives what it signs from the stored data, so signing never resumes over
/// damage that is still there.
extension LedgerStore {
    /// The first damage found by a seal or an integrity check; `nil` while none was found.
    /// While set, sealing is refused.
    public var damage: VerificationFailure? { damageState.withLock { $0 } }

    /// Records `damage` unless damage was already recorded; returns the recorded (first) one.
    @discardableResult
    func recordDamage(_ damage: VerificationFailure) -> VerificationFailure {
        damageState.withLock { state in
            if state == nil { state = damage }
            return state ?? damage
        }
    }

    /// Runs the quick integrity check on a connection of its own (appends, seals and readers
    /// are not blocked): with `fileStructure`, SQLite's `PRAGMA quick_check` (O(file size));
    /// then the latest signed checkpoint's root recomputed from the stored tiles; then the leaf
    /// hashes of the newest unsealed entries recomputed from their bytes. Damage found is
    /// recorded (``damage``: sealing stops) and returned in the report.
    ///
    /// - Parameter unsealedLimit: check at most this many of the newest unsealed entries.
    /// - Throws: ``StoreError`` when the store cannot be read (I/O, busy); damage is not an error.
    public func checkIntegrity(
        fileStructure: Bool = true, unsealedLimit: UInt64? = nil
    ) throws(StoreError)
        -> IntegrityReport
    {
        let db = try SQLiteConnection(path: path, readOnly: true, create: false)
        sqlite3_busy_timeout(db.handle, 5000)
        let report = try db.quickIntegrity(
            hasher: hasher, fileStructure: fileStructure, newestTiles: true, unsealedLimit: unsealedLimit)
        if let damage = report.damage { recordDamage(damage) }
        return report
    }

    /// The error of a seal refused because of `damage`.
    static func sealRefusal(_ damage: VerificationFailure, path: String) -> StoreError {
        StoreError(
            .corrupt, "refusing to sign a checkpoint: the store \(path) is damaged at \(damage)",
            hint: "stop the agent, keep a copy of the file, run `edge-ledger verify --db \(path)`, "
                + "and restore the damaged rows from a copy or an upstream; nothing was signed")
    }
}
