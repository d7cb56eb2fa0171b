import EdgeLedgerStore

/// The store integrity part of `edge-ledger status`: the latest signed root recomputed from the
/// stored tiles and the newest unsealed entries re-hashed (``LedgerReader/checkRightEdge(unsealedLimit:)``).
extension CLIStatusReport {
    /// What the quick integrity check found.
    struct Integrity: Sendable {
        /// The checkpoint size whose root the tiles reproduced.
        var sealedSize: UInt64
        /// Unsealed entries re-hashed.
        var unsealedChecked: UInt64
        /// The damage, naming its place; `nil` when the check passed.
        var damage: String?
    }

    /// The `integrity` row of the human view.
    func integrityRow(_ paint: CLIStatusPaint) -> (String, String)? {
        guard let integrity else { return nil }
        if let damage = integrity.damage { return ("integrity", paint.bad("DAMAGED") + ": \(damage)") }
        let root =
            integrity.sealedSize == 0
            ? "no checkpoint yet" : "tiles reproduce the signed root at size \(integrity.sealedSize)"
        return ("integrity", paint.good("ok") + " (\(root), \(integrity.unsealedChecked) unsealed entries re-hashed)")
    }

    /// The attention line for a damaged store.
    var integrityProblem: String? {
        guard let damage = integrity?.damage else { return nil }
        return "the store is damaged at \(damage): the agent signs no checkpoint over it; "
            + "stop it, keep a copy of the store and run edge-ledger verify"
    }

    /// `"integrity": {"checked": …, "sealed_size": …, "damage": …}`.
    func integrityJSON(_ o: inout CLIStatusJSON) {
        o.key("integrity")
        guard let integrity else {
            o.null()
            return
        }
        o.begin()
        o.field("ok", integrity.damage == nil)
        o.field("sealed_size", integrity.sealedSize)
        o.field("unsealed_checked", integrity.unsealedChecked)
        o.field("damage", integrity.damage)
        o.end()
    }
}

extension CLIStatus {
    /// Runs the quick integrity check on `reader` (milliseconds; no SQLite quick_check).
    static func checkIntegrity(_ reader: LedgerReader, into report: inout CLIStatusReport) throws {
        let result = try reader.checkRightEdge()
        report.integrity = .init(
            sealedSize: result.sealedSize, unsealedChecked: result.unsealedChecked,
            damage: result.damage?.description)
    }
}
