import EdgeLedgerCore
import Metrics

extension UpstreamMetrics {
    /// The values of the `reason` label of ``Name/mirrorRefusedPackages``.
    static let mirrorRefusalReasons = ["bad_proof", "held_entry_differs", "malformed", "too_large"]

    /// Records one mirror request: its endpoint, outcome, the entries it stored and, when a
    /// package was refused, why (one of ``mirrorRefusalReasons``).
    public func recordMirror(
        endpoint: String, outcome: String, storedEntries: UInt64, refusal: String?,
        phases: MirrorResponse.Phases? = nil
    ) {
        mirrorOutcomes[endpoint + " " + outcome]?.increment()
        if let phases {
            for (timer, time) in zip(mirrorPhases, [phases.receive, phases.turn, phases.store]) {
                timer.recordNanoseconds(max(.zero, time).nanosecondsClamped)
            }
        }
        if storedEntries > 0 { mirrorEntries.increment(by: Int64(clamping: storedEntries)) }
        if let refusal { mirrorRefusals[refusal]?.increment() }
    }

    /// Records a checkpoint of `origin` committed by the mirror (a push): the gateway's verified
    /// size, its latest size seen, no lag, and the size acknowledged to it (the cosignature), as a
    /// pull would.
    public func recordMirrorCommit(gateway origin: String, size: UInt64) {
        guard let gateway = gateways.withLock({ $0[origin] }) else { return }
        let value = Int64(clamping: size)
        gateway.collected.record(value)
        gateway.size.record(value)
        gateway.lag.record(0)
        gateway.acked.record(value)
        gateway.verified.increment()
    }
}
