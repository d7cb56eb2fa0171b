import EdgeLedgerStore

/// The report's ingest journal damage: what replay could not read, shown until acknowledged.
extension CLIStatusReport {
    /// One problem per unacknowledged report: what was lost, where, where the bytes are kept.
    var journalDamageProblems: [String] {
        journalDamage.map {
            "ingest journal damage (not acknowledged): readings lost: \($0.lostDescription); \($0.segment) "
                + "bytes \($0.offset)-\($0.offset + $0.length - 1) (\($0.reason)), kept in \($0.quarantine); "
                + "acknowledge with: edge-ledger status --ack-journal-damage"
        }
    }

    /// `"journal_damage": [{…}]`: the unacknowledged reports.
    func journalDamageJSON(_ o: inout CLIStatusJSON) {
        o.key("journal_damage")
        o.beginArray()
        for damage in journalDamage {
            o.element()
            Self.json(damage, &o)
        }
        o.endArray()
    }

    /// One report as a JSON object (also printed by `--ack-journal-damage --json`).
    static func json(_ damage: JournalDamage, _ o: inout CLIStatusJSON) {
        o.begin()
        o.field("kind", damage.kind.rawValue)
        o.field("segment", damage.segment)
        o.field("offset", damage.offset)
        o.field("length", damage.length)
        o.field("reason", damage.reason)
        o.field("first_lost_seq", damage.firstLostSeq)
        o.field("last_lost_seq", damage.lastLostSeq)
        o.field("lost_readings", damage.lostReadings)
        o.field("quarantine", damage.quarantine)
        o.field("detected_at", time: damage.detectedAt)
        o.field("acknowledged_at", time: damage.acknowledgedAt)
        o.end()
    }

    /// The `journal:` line of the human view: intact, or one line per report.
    func journalDamageRows(_ paint: CLIStatusPaint) -> [(String, String)] {
        guard !journalDamage.isEmpty else { return [("journal", paint.good("no unacknowledged damage"))] }
        return journalDamage.enumerated().map { i, damage in
            (
                i == 0 ? "journal" : "",
                paint.bad("damaged") + ": readings lost \(damage.lostDescription), \(damage.segment) at byte "
                    + "\(damage.offset) (\(damage.length) bytes) found \(CLIStatusFormat.time(damage.detectedAt)); "
                    + "kept in \(damage.quarantine)"
            )
        }
    }
}
