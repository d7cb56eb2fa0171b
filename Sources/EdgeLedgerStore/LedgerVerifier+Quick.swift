import EdgeLedgerCore

extension LedgerVerifier {
    /// The quick check of `edge-ledger verify --quick`: what a seal builds on, in seconds
    /// rather than a full pass over the log.
    ///
    /// In one read snapshot: SQLite's `PRAGMA quick_check` (when ``checkFileStructure``); the
    /// latest checkpoint's row and signed note agree, its signatures verify (with
    /// ``verifiers``), and its root is recomputed from the stored hash tiles — the newest tiles
    /// (the right edge) are compared with the entries and tiles below them when it is not; and
    /// every unsealed entry's leaf hash is recomputed from its bytes. Older entries and tiles
    /// are not re-read: use ``verify(path:progress:)`` for those.
    ///
    /// - Throws: ``VerificationFailure`` naming the first damaged tile, entry or checkpoint (with
    ///   the expected and the stored value), or the store when it cannot be read.
    public func verifyQuick(path: String) throws(VerificationFailure) -> IntegrityReport {
        let db = try open(path)
        let report: IntegrityReport
        do {
            report = try db.quickIntegrity(
                hasher: hasher, fileStructure: checkFileStructure, newestTiles: true, unsealedLimit: nil)
        } catch {
            throw VerificationFailure(.store, error.description)
        }
        if let damage = report.damage { throw damage }
        guard let verifiers, report.sealedSize > 0 else { return report }
        let place = VerificationFailure.Place.checkpoint(size: report.sealedSize)
        do {
            guard
                let latest = try db.checkpoints(
                    sql: "SELECT size, root, note, created_at FROM checkpoints WHERE size = ?1",
                    bind: [report.sealedSize]
                ).first
            else {
                throw VerificationFailure(place, "missing")
            }
            _ = try NoteSigning.open(try Note(parsing: latest.note), verifiers: verifiers)
        } catch let failure as VerificationFailure {
            throw failure
        } catch {
            throw VerificationFailure(place, "\(error)")
        }
        return report
    }
}
