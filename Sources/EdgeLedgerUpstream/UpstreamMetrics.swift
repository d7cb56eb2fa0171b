import EdgeLedgerSystem
import Metrics
import Synchronization

/// Every swift-metrics object of the reference upstream (`edge-ledger-upstream`), served as
/// Prometheus text at `<prefix>/metrics` on its HTTP listener.
///
/// Names follow Prometheus conventions (`_total` for counters, base units) with three prefixes:
/// `edge_ledger_collector_` (per gateway, label `gateway` = its origin), `edge_ledger_witness_`
/// and `edge_ledger_anchor_`. Labels are bounded: gateways come from the configuration, and
/// outcomes and failure kinds are fixed sets. docs/UPSTREAM.md lists them all.
public final class UpstreamMetrics: Sendable {
    /// The metric names.
    public enum Name {
        /// Gauge, label `gateway`: entries verified against a signed checkpoint and stored (the
        /// verified size).
        public static let collectedEntries = "edge_ledger_collector_entries"
        /// Counter, label `gateway`: entries fetched, verified and stored since start.
        public static let fetchedEntries = "edge_ledger_collector_entries_fetched_total"
        /// Counter, label `gateway`: checkpoints verified (root recomputed from the entries)
        /// since start.
        public static let verifiedCheckpoints = "edge_ledger_collector_checkpoints_verified_total"
        /// Gauge, label `gateway`: the size of the gateway's latest signed checkpoint seen.
        public static let gatewaySize = "edge_ledger_collector_gateway_size"
        /// Gauge, label `gateway`: entries the gateway has signed that are not verified here yet.
        public static let lag = "edge_ledger_collector_lag_entries"
        /// Gauge, label `gateway`: the size last acknowledged to the gateway (`POST /ack`).
        public static let ackedSize = "edge_ledger_collector_acked_size"
        /// Counter, labels `gateway` and `reason` (``PullFailure``): pulls that did not end up
        /// to date or verified.
        public static let pullFailures = "edge_ledger_collector_pull_failures_total"
        /// Counter, label `outcome` (`WitnessResponse.Outcome`): `add-checkpoint` requests.
        public static let witnessRequests = "edge_ledger_witness_requests_total"
        /// Counter, label `gateway`: cosignatures issued.
        public static let cosignatures = "edge_ledger_witness_cosignatures_total"
        /// Counter, label `gateway`: fork alarms raised (fork evidence stored: the witness and
        /// the collector saw two histories of the origin).
        public static let forks = "edge_ledger_upstream_forks_total"
        /// Gauge, label `gateway`: 1 while the origin has fork evidence (anchoring and cosigning
        /// of it stopped), else 0.
        public static let forked = "edge_ledger_upstream_forked"
        /// Counter: anchoring jobs completed (the command exited 0).
        public static let anchored = "edge_ledger_anchor_completed_total"
        /// Counter: anchoring attempts that failed (non-zero exit, timeout, cannot start); each
        /// is retried with backoff.
        public static let anchorFailures = "edge_ledger_anchor_failures_total"
        /// Jobs the command reported as already anchored with the same hash (a retry after an
        /// attempt that landed): counted as completed too.
        public static let anchorAlready = "edge_ledger_anchor_already_anchored_total"
        /// Anchoring jobs waiting (due or backing off), as of the anchorer's last look.
        public static let anchorPending = "edge_ledger_anchor_pending"
        /// Gauge: bytes the collectors hold in the instance's budget for fetched entries
        /// (`storage.collector_memory`; see ``CollectorMemoryBudget``).
        public static let collectorMemory = "edge_ledger_collector_memory_bytes"
        /// Counter, labels `endpoint` (`add-checkpoint`, `add-entries`) and `outcome`
        /// (`MirrorResponse.Outcome`): requests to the mirror.
        public static let mirrorRequests = "edge_ledger_mirror_requests_total"
        /// Counter: entries uploaded to the mirror, verified and stored (held ones not counted).
        public static let mirrorEntries = "edge_ledger_mirror_entries_stored_total"
        /// Counter, label `reason` (`bad_proof`, `held_entry_differs`, `malformed`, `too_large`):
        /// entry packages refused.
        public static let mirrorRefusedPackages = "edge_ledger_mirror_packages_refused_total"
        /// Histogram (seconds), label `phase` (`receive`, `turn`, `store`: see
        /// `MirrorResponse.Phases`): where each add-entries request that verified a package spent
        /// its time.
        public static let mirrorPhases = "edge_ledger_mirror_add_entries_seconds"
    }

    /// Why a pull failed: the `reason` label of ``Name/pullFailures``.
    public enum PullFailure: String, Sendable, CaseIterable {
        /// What the gateway served was refused (signature, rollback, fork, tampering).
        case refused
        /// The gateway answered with an error that needs the operator (401, 403, 404, …).
        case rejected
        /// The gateway could not be reached, or answered with a server error.
        case unreachable
        /// The upstream's own store failed.
        case failed
    }

    /// The metrics of one gateway.
    struct Gateway: Sendable {
        let collected: Gauge
        let fetched: Counter
        let verified: Counter
        let size: Gauge
        let lag: Gauge
        let acked: Gauge
        let failures: [PullFailure: Counter]
        let cosignatures: Counter
        let forks: Counter
        let forked: Gauge
    }

    let gateways: Mutex<[String: Gateway]>
    private let factory: any MetricsFactory
    private let witnessOutcomes: [String: Counter]
    let mirrorOutcomes: [String: Counter]
    let mirrorRefusals: [String: Counter]
    /// ``Name/mirrorEntries``.
    public let mirrorEntries: Counter
    /// ``Name/mirrorPhases``: `receive`, `turn`, `store`.
    let mirrorPhases: [Timer]
    /// ``Name/anchored``.
    public let anchored: Counter
    /// ``Name/anchorFailures``.
    public let anchorFailures: Counter
    /// ``Name/anchorAlready``.
    public let anchorAlready: Counter
    /// ``Name/anchorPending``.
    public let anchorPending: Gauge
    /// ``Name/collectorMemory``.
    public let collectorMemory: Gauge

    /// Creates every metric for the given gateway origins through `factory`.
    ///
    /// - Parameters:
    ///   - gateways: the configured `[[gateways]]` origins; each gets its own labelled series.
    ///   - witnessOutcomes: the values of the witness's `outcome` label.
    ///   - factory: where the metrics go (a `PrometheusMetricsFactory` over the registry that
    ///     `/metrics` prints).
    ///   - mirrorOutcomes: the values of the mirror's `outcome` label.
    public init(
        gateways origins: [String], witnessOutcomes: [String], mirrorOutcomes: [String] = [],
        factory: any MetricsFactory
    ) {
        self.factory = factory
        self.gateways = Mutex([:])
        var outcomes: [String: Counter] = [:]
        for outcome in witnessOutcomes {
            outcomes[outcome] = Counter(
                label: Name.witnessRequests, dimensions: [("outcome", outcome)], factory: factory)
        }
        self.witnessOutcomes = outcomes
        var mirror: [String: Counter] = [:]
        for endpoint in ["add-checkpoint", "add-entries"] {
            for outcome in mirrorOutcomes {
                mirror[endpoint + " " + outcome] = Counter(
                    label: Name.mirrorRequests, dimensions: [("endpoint", endpoint), ("outcome", outcome)],
                    factory: factory)
            }
        }
        self.mirrorOutcomes = mirror
        var refusals: [String: Counter] = [:]
        for reason in Self.mirrorRefusalReasons {
            refusals[reason] = Counter(
                label: Name.mirrorRefusedPackages, dimensions: [("reason", reason)], factory: factory)
        }
        self.mirrorRefusals = refusals
        mirrorEntries = Counter(label: Name.mirrorEntries, dimensions: [], factory: factory)
        mirrorPhases = ["receive", "turn", "store"].map {
            Timer(label: Name.mirrorPhases, dimensions: [("phase", $0)], factory: factory)
        }
        anchored = Counter(label: Name.anchored, dimensions: [], factory: factory)
        collectorMemory = Gauge(label: Name.collectorMemory, dimensions: [], factory: factory)
        anchorFailures = Counter(label: Name.anchorFailures, dimensions: [], factory: factory)
        anchorAlready = Counter(label: Name.anchorAlready, dimensions: [], factory: factory)
        anchorPending = Gauge(label: Name.anchorPending, dimensions: [], factory: factory)
        anchorPending.record(0)
        track(gateways: origins)
    }

    /// Creates the labelled series of gateways not yet tracked (enrolled while running); labels
    /// stay bounded: they come from the operator's registry, never from a request.
    public func track(gateways origins: [String]) {
        let factory = self.factory
        func counter(_ name: String, _ dimensions: [(String, String)]) -> Counter {
            Counter(label: name, dimensions: dimensions, factory: factory)
        }
        func gauge(_ name: String, _ dimensions: [(String, String)]) -> Gauge {
            Gauge(label: name, dimensions: dimensions, factory: factory)
        }
        let known = gateways.withLock { Set($0.keys) }
        var added: [String: Gateway] = [:]
        for origin in origins where !known.contains(origin) && added[origin] == nil {
            let label = [("gateway", origin)]
            var failures: [PullFailure: Counter] = [:]
            for reason in PullFailure.allCases {
                failures[reason] = counter(Name.pullFailures, label + [("reason", reason.rawValue)])
            }
            let gateway = Gateway(
                collected: gauge(Name.collectedEntries, label), fetched: counter(Name.fetchedEntries, label),
                verified: counter(Name.verifiedCheckpoints, label), size: gauge(Name.gatewaySize, label),
                lag: gauge(Name.lag, label), acked: gauge(Name.ackedSize, label), failures: failures,
                cosignatures: counter(Name.cosignatures, label), forks: counter(Name.forks, label),
                forked: gauge(Name.forked, label))
            // Defined values before the first pull, so that a scrape shows every series at once.
            for gauge in [gateway.collected, gateway.size, gateway.lag, gateway.acked, gateway.forked] {
                gauge.record(0)
            }
            added[origin] = gateway
        }
        guard !added.isEmpty else { return }
        gateways.withLock { $0.merge(added) { first, _ in first } }
    }

    /// Records what one pull from gateway `origin` found; ignores origins not configured.
    public func record(_ report: PullReport, gateway origin: String) {
        guard let gateway = gateways.withLock({ $0[origin] }) else { return }
        gateway.collected.record(Int64(clamping: report.verifiedSize))
        gateway.acked.record(Int64(clamping: report.ackedSize))
        if let size = report.checkpointSize {
            gateway.size.record(Int64(clamping: size))
            gateway.lag.record(Int64(clamping: size &- min(size, report.verifiedSize)))
        }
        if report.fetchedEntries > 0 { gateway.fetched.increment(by: Int64(clamping: report.fetchedEntries)) }
        let failure: PullFailure?
        switch report.outcome {
        case .verified:
            gateway.verified.increment()
            failure = nil
        case .noCheckpoint, .upToDate: failure = nil
        case .refused: failure = .refused
        case .rejected: failure = .rejected
        case .unreachable: failure = .unreachable
        case .failed: failure = .failed
        }
        if let failure { gateway.failures[failure]?.increment() }
    }

    /// Records that `origin` is forked (``Name/forked``), and counts a fork alarm when the
    /// evidence was `new`ly stored (``Name/forks``).
    public func recordFork(gateway origin: String, new: Bool) {
        guard let gateway = gateways.withLock({ $0[origin] }) else { return }
        gateway.forked.record(1)
        if new { gateway.forks.increment() }
    }

    /// Records one `add-checkpoint` request: its outcome, and a cosignature issued for `origin`
    /// when `cosigned`.
    public func recordWitness(outcome: String, origin: String?, cosigned: Bool) {
        witnessOutcomes[outcome]?.increment()
        if cosigned, let origin { gateways.withLock { $0[origin] }?.cosignatures.increment() }
    }
}
