import Metrics

extension UpstreamMetrics {
    /// The values of the `reason` label of ``Name/mirrorRefusedPackages``.
    static let mirrorRefusalReasons = ["bad_proof", "held_entry_differs", "malformed", "too_large"]

    /// Records one mirror request: its endpoint, outcome, the entries it stored and, when a
    /// package was refused, why (one of ``mirrorRefusalReasons``).
    public func recordMirror(endpoint: String, outcome: String, storedEntries: UInt64, refusal: String?) {
        mirrorOutcomes[endpoint + " " + outcome]?.increment()
        if storedEntries > 0 { mirrorEntries.increment(by: Int64(clamping: storedEntries)) }
        if let refusal { mirrorRefusals[refusal]?.increment() }
    }
}
