import EdgeLedgerSystem
import Logging

/// One view per origin (DESIGN 11) and claims that never size work (DESIGN 12), on the
/// collector's side.
///
/// The check itself runs in the store, in the transaction that records a verified checkpoint:
/// the collected tree's root at the largest size the witness cosigned (at or below the verified
/// size) must be the cosigned root; otherwise both signed checkpoints are stored as
/// ``ForkEvidence`` and no anchoring job is queued. Here the collector turns evidence into an
/// alarm (error log, `edge_ledger_upstream_forks_total`, `edge_ledger_upstream_forked`) and stops
/// pulling the origin while the evidence exists.
extension GatewayCollector {
    /// Refuses to pull an origin that has fork evidence (anchoring and cosigning of it stopped).
    func refuseIfForked() async throws {
        guard let evidence = try await store.forkEvidence(origin: origin).first else { return }
        metrics?.recordFork(gateway: origin, new: false)
        throw CollectorRefusal(
            what: "fork alarm", location: "origin \(origin)",
            detail: "\(evidence.detail) (detected by the \(evidence.detectedBy.rawValue)); collection, anchoring and "
                + "cosigning of this origin stopped; print the evidence with `edge-ledger-upstream --print-forks`")
    }

    /// Raises the alarm when recording the checkpoint just verified stored fork evidence.
    func raiseForkAlarmIfDetected() async throws {
        guard let evidence = try await store.forkEvidence(origin: origin).first else { return }
        metrics?.recordFork(gateway: origin, new: true)
        logger.error(
            "FORK ALARM: the gateway signed two histories of its log; anchoring and cosigning stopped",
            metadata: [
                "witness_size": "\(evidence.witnessSize)", "witness_root": "\(evidence.witnessRoot)",
                "collected_size": "\(evidence.collectedSize)", "collected_root": "\(evidence.collectedRoot)",
                "evidence": "\(evidence.id)",
            ])
        throw CollectorRefusal(
            what: "fork alarm", location: "origin \(origin)",
            detail: "\(evidence.detail); both signed checkpoints are kept as evidence "
                + "(`edge-ledger-upstream --print-forks`)")
    }

    /// Refuses a checkpoint that claims more growth than `gateways[].max_growth` allows: its size
    /// is a claim, and nothing is fetched or allocated for it.
    func refuseAbsurdGrowth(from verified: UInt64, to size: UInt64) throws(CollectorRefusal) {
        guard size > verified, size - verified > gateway.maxGrowth else { return }
        throw CollectorRefusal(
            what: "absurd growth refused", location: "checkpoint size \(size)",
            detail: "the gateway's signed checkpoint claims \(size - verified) new entries beyond the verified size "
                + "\(verified), more than gateways.max_growth = \(gateway.maxGrowth); nothing was fetched (raise "
                + "max_growth if the gateway really logged that much, otherwise its key signs claims its log does "
                + "not hold)")
    }
}
