import EdgeLedgerCore
import EdgeLedgerStore

/// Where `POST /ack` records an upstream's acknowledgement: the agent's `LedgerStore` (the one
/// writer of the ledger file). The API checks the root and the proof of possession itself first
/// and calls this only for an acknowledgement that matches the log; it also records here how far
/// each upstream fetched the entries.
public protocol LedgerAcknowledging: Sendable {
    /// Records that upstream `upstream` holds every entry below `size` with root `root`, without
    /// touching the upstream's other state (the witness pusher writes it concurrently); see
    /// `LedgerStore.recordAcknowledgement(upstream:size:root:at:)`.
    func recordAcknowledgement(
        upstream: String, size: UInt64, root: Hash32, at time: Int64?
    ) throws(StoreError)
        -> UpstreamState

    /// Records that upstream `upstream` has fetched every entry below `below` with its own
    /// credential; see `LedgerStore.recordFetched(upstream:below:)`.
    @discardableResult
    func recordFetched(upstream: String, below: UInt64) throws(StoreError) -> UInt64
}

extension LedgerStore: LedgerAcknowledging {}
