import EdgeLedgerStore
import Logging

extension Agent {
    /// Checks at start what the next seal builds on (the latest signed root recomputed from the
    /// stored tiles, the unsealed entries' leaf hashes): a restart over damage is not ready and
    /// signs nothing. Returns the reporter the sealer and the background check share.
    static func checkStoreAtStart(_ store: LedgerStore, metrics: AgentMetrics) throws -> StoreDamageReporter {
        let reporter = StoreDamageReporter(store: store, metrics: metrics, logger: Logger(label: "edge-ledger.store"))
        _ = try store.checkIntegrity(fileStructure: false)
        reporter.reportIfDamaged(foundBy: "check at start")
        return reporter
    }

    /// The `/readyz` line for a damaged store.
    static func storeDamageProblem(_ damage: VerificationFailure) -> String {
        "store damaged at \(damage): sealing stopped; run edge-ledger verify"
    }

    /// The background integrity check, unless `storage.integrity_check_interval = "off"`.
    func integrityCheckService() -> IntegrityCheckService? {
        guard let interval = configuration.storage.integrityCheckInterval else { return nil }
        return IntegrityCheckService(
            store: store, interval: interval, reporter: damageReporter, metrics: metrics,
            logger: Logger(label: "edge-ledger.integrity"))
    }
}
