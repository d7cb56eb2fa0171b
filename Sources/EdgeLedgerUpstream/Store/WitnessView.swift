import EdgeLedgerCore

/// What the witness's compare-and-set reads of one origin before deciding an update (see
/// ``UpstreamSQL/witnessViews(_:)``).
struct WitnessView {
    /// The id of the origin's first fork evidence, if any.
    var forkEvidence: Int64?
    /// The root of the mirror's pending checkpoint of the update's size, if any.
    var pendingRoot: Hash32?
    /// The witness's state of the origin (`nil`: nothing cosigned yet).
    var witness: WitnessLogState?
    /// The collector's state of the origin (`nil`: not a collected gateway).
    var gateway: CollectorGatewayState?

}
