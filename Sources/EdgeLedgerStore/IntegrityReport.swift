import CSQLite
import EdgeLedgerCore

/// What a quick integrity check looked at and what it found: SQLite's `quick_check`, the latest
/// signed checkpoint's root recomputed from the stored tiles, and the leaf hashes of the
/// unsealed entries recomputed from their bytes. Made by
/// ``LedgerStore/checkIntegrity(fileStructure:unsealedLimit:)`` (the agent's background check)
/// and ``LedgerVerifier/verifyQuick(path:)`` (`edge-ledger verify --quick`).
public struct IntegrityReport: Sendable, Equatable {
    /// Whether `PRAGMA quick_check` ran.
    public var fileStructureChecked: Bool
    /// Size of the latest checkpoint (0 when there is none).
    public var sealedSize: UInt64
    /// The latest checkpoint's signed root, when the stored tiles reproduced it.
    public var root: Hash32?
    /// Entries in the log.
    public var entries: UInt64
    /// Unsealed entries whose leaf hash was recomputed from their bytes.
    public var unsealedChecked: UInt64
    /// The first damage found; `nil` when the store passed.
    public var damage: VerificationFailure?

    /// Creates a report.
    public init(
        fileStructureChecked: Bool, sealedSize: UInt64, root: Hash32?, entries: UInt64, unsealedChecked: UInt64,
        damage: VerificationFailure?
    ) {
        self.fileStructureChecked = fileStructureChecked
        self.sealedSize = sealedSize
        self.root = root
        self.entries = entries
        self.unsealedChecked = unsealedChecked
        self.damage = damage
    }
}

extension SQLiteConnection {
    /// Runs the quick integrity check in one read snapshot.
    ///
    /// - Parameters:
    ///   - fileStructure: run `PRAGMA quick_check` first (O(file size)).
    ///   - newestTiles: also check the newest full tiles (up to 255 per level) against the
    ///     right-edge hashes above them.
    ///   - unsealedLimit: check at most this many of the newest unsealed entries; `nil`: all.
    /// - Throws: ``StoreError`` only when the store cannot be read (I/O, busy); damage, including
    ///   SQLite reporting a damaged page (`SQLITE_CORRUPT`), is in the report.
    func quickIntegrity(
        hasher: any MerkleHasher, fileStructure: Bool, newestTiles: Bool, unsealedLimit: UInt64?
    ) throws(StoreError) -> IntegrityReport {
        do {
            return try quickIntegritySnapshot(
                hasher: hasher, fileStructure: fileStructure, newestTiles: newestTiles, unsealedLimit: unsealedLimit)
        } catch  where error.kind == .corrupt || error.kind == .missing {
            return IntegrityReport(
                fileStructureChecked: fileStructure, sealedSize: 0, root: nil, entries: 0, unsealedChecked: 0,
                damage: VerificationFailure(.store, error.message))
        }
    }

    private func quickIntegritySnapshot(
        hasher: any MerkleHasher, fileStructure: Bool, newestTiles: Bool, unsealedLimit: UInt64?
    ) throws(StoreError) -> IntegrityReport {
        try transaction(immediate: false, "checking the integrity of \(path)") { () throws(StoreError) in
            var report = IntegrityReport(
                fileStructureChecked: fileStructure, sealedSize: 0, root: nil, entries: try nextIndex(),
                unsealedChecked: 0, damage: nil)
            if fileStructure {
                let problems = try quickCheckProblems()
                if !problems.isEmpty {
                    report.damage = VerificationFailure(
                        .store, "SQLite quick_check failed: \(problems.joined(separator: "; "))")
                    return report
                }
            }
            switch try checkSignedRightEdge(hasher: hasher) {
            case .failure(let damage):
                report.sealedSize = try sealedSize()
                report.damage = damage
                return report
            case .success(let head):
                report.sealedSize = head?.size ?? 0
                report.root = head?.root
            }
            if newestTiles, let damage = try newestFullTilesDamage(size: report.sealedSize, hasher: hasher) {
                report.damage = damage
                return report
            }
            guard report.entries > report.sealedSize else { return report }
            let from = unsealedLimit.map { max(report.sealedSize, report.entries - min($0, report.entries)) }
            switch try checkedLeafHashes(from: from ?? report.sealedSize, to: report.entries, hasher: hasher) {
            case .failure(let damage): report.damage = damage
            case .success(let leaves): report.unsealedChecked = UInt64(leaves.count)
            }
            return report
        }
    }
}

extension LedgerReader {
    /// The quick integrity check without SQLite's `quick_check` (what `edge-ledger status`
    /// shows, in milliseconds): the latest signed root recomputed from the stored tiles, and
    /// the leaf hashes of at most `unsealedLimit` of the newest unsealed entries.
    ///
    /// - Throws: ``StoreError`` when the store cannot be read; damage is in the report.
    public func checkRightEdge(unsealedLimit: UInt64 = 10_000) throws(StoreError) -> IntegrityReport {
        let hasher = self.hasher
        return try withConnection { (db) throws(StoreError) in
            try db.quickIntegrity(
                hasher: hasher, fileStructure: false, newestTiles: false, unsealedLimit: unsealedLimit)
        }
    }
}
