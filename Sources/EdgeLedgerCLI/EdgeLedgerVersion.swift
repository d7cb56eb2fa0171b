/// The version printed by `edge-ledger version` and `--version`.
enum EdgeLedgerVersion {
    static let current = "0.1.0"
}
