import Metrics
import Synchronization

/// Every swift-metrics object of the agent, each created once with its name and labels.
///
/// Create one instance after `MetricsSystem.bootstrap` (objects made before the bootstrap stay
/// no-ops forever) and hand it to the ingest pipeline, the sealer and the upstream push. Names
/// follow Prometheus conventions (`edge_ledger_` prefix, `_total` for counters, base units);
/// docs/OPERATIONS.md lists them all. Labels are bounded: rejection reasons are a fixed set and
/// upstreams come from the configuration, so a scrape never grows with traffic.
///
/// Timers become Prometheus histograms; an append takes microseconds, far below the
/// histogram factory's default buckets, so the executable should set
/// ``durationHistogramBuckets`` on its `PrometheusMetricsFactory`:
///
/// ```swift
/// var factory = PrometheusMetricsFactory(registry: registry)
/// factory.durationHistogramBuckets = AgentMetrics.durationHistogramBuckets
/// MetricsSystem.bootstrap(factory)
/// let metrics = AgentMetrics(upstreams: config.upstreams.map(\.name))
/// ```
public final class AgentMetrics: Sendable {
    /// The metric names.
    public enum Name {
        /// Counter: readings handed over by the broker (before validation).
        public static let readingsReceived = "edge_ledger_readings_received_total"
        /// Counter: readings committed as entries.
        public static let readingsStored = "edge_ledger_readings_stored_total"
        /// Counter with label `reason`: readings rejected by validation.
        public static let readingsRejected = "edge_ledger_readings_rejected_total"
        /// Counter: readings whose storage failed (acknowledgement withheld, or QoS 0 lost).
        public static let storeFailures = "edge_ledger_store_failures_total"
        /// Counter: redeliveries recognised as duplicates (`dedup` topics): recorded, not appended.
        public static let duplicates = "edge_ledger_readings_duplicate_total"
        /// Counter: readings whose device time is further than `mqtt.device_time_max_skew` from
        /// their receive time (recorded anyway).
        public static let deviceTimeSkewed = "edge_ledger_device_time_skewed_total"
        /// Counter: readings on a topic with `device_time` whose payload had no readable device
        /// time (member missing or not a time); stored without one.
        public static let deviceTimeUnreadable = "edge_ledger_device_time_unreadable_total"
        /// Histogram: time to append (and commit) one reading or one batch.
        public static let appendDuration = "edge_ledger_append_duration_seconds"
        /// Counter: checkpoints sealed.
        public static let checkpointsSealed = "edge_ledger_checkpoints_sealed_total"
        /// Counter: seals that failed (nothing stored; retried at the next interval).
        public static let sealFailures = "edge_ledger_seal_failures_total"
        /// Histogram: time of one seal (hash tiles, root, signatures, commit).
        public static let sealDuration = "edge_ledger_seal_duration_seconds"
        /// Gauge: entries in the log (the next entry's index).
        public static let treeSize = "edge_ledger_tree_size"
        /// Gauge: the tree size of the latest checkpoint.
        public static let sealedSize = "edge_ledger_sealed_size"
        /// Gauge: bytes of the store on disk (database + write-ahead log).
        public static let bytesOnDisk = "edge_ledger_store_bytes"
        /// Gauge: 1 while connected to the MQTT broker, else 0.
        public static let mqttConnected = "edge_ledger_mqtt_connected"
        /// Gauge: 1 while the disk quota holds back acknowledgements to the broker, else 0.
        public static let storageBackpressure = "edge_ledger_storage_backpressure"
        /// Gauge with label `upstream`: sealed entries the upstream has not acknowledged.
        public static let upstreamLag = "edge_ledger_upstream_lag_entries"
        /// Gauge with label `upstream`: the tree size the upstream last acknowledged.
        public static let upstreamAckedSize = "edge_ledger_upstream_acked_size"
        /// Gauge with label `upstream`: consecutive failed pushes (0 after a success).
        public static let upstreamPushFailures = "edge_ledger_upstream_push_failures"
        /// Counter with label `upstream`: failed pushes since start.
        public static let upstreamPushFailuresTotal = "edge_ledger_upstream_push_failures_total"
        /// Counter: damaged regions that the ingest journal's replay skipped at start.
        public static let journalDamagedRegions = "edge_ledger_journal_damaged_regions_total"
        /// Counter: acknowledged readings lost to damaged ingest journal records (at least one
        /// per damaged region whose end is unknown).
        public static let journalLostReadings = "edge_ledger_journal_lost_readings_total"
        /// Counter: bytes of damaged or torn journal regions copied to the quarantine directory.
        public static let journalQuarantinedBytes = "edge_ledger_journal_quarantined_bytes_total"
        /// Gauge: ingest journal damage reports not yet acknowledged by an operator
        /// (`edge-ledger status --ack-journal-damage`).
        public static let journalDamageUnacknowledged = "edge_ledger_journal_damage_unacknowledged"
        // Store integrity: StoreDamageReporter and IntegrityCheckService.
        /// Gauge: 1 once the store was found damaged (sealing stopped), else 0.
        public static let storeDamaged = "edge_ledger_store_damaged"
        /// Counter: store damage detected, by a seal or an integrity check.
        public static let storeDamageDetected = "edge_ledger_store_damage_detected_total"
        /// Counter: background integrity checks run (see `storage.integrity_check_interval`).
        public static let integrityChecks = "edge_ledger_integrity_checks_total"
    }

    /// Histogram buckets for the agent's timers, by metric name, for
    /// `PrometheusMetricsFactory.durationHistogramBuckets`.
    public static let durationHistogramBuckets: [String: [Duration]] = [
        Name.appendDuration: [
            .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250),
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ],
        Name.sealDuration: [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
            .seconds(10), .seconds(30),
        ],
    ]

    /// The metrics of one configured upstream.
    public struct Upstream: Sendable {
        /// ``Name/upstreamLag``: set to sealed size − acknowledged size.
        public let lag: Gauge
        /// ``Name/upstreamAckedSize``.
        public let ackedSize: Gauge
        /// ``Name/upstreamPushFailures``: consecutive failures.
        public let pushFailures: Gauge
        /// ``Name/upstreamPushFailuresTotal``.
        public let pushFailuresTotal: Counter
    }

    /// ``Name/readingsReceived``.
    public let readingsReceived: Counter
    /// ``Name/readingsStored``.
    public let readingsStored: Counter
    /// ``Name/storeFailures``.
    public let storeFailures: Counter
    /// ``Name/duplicates``.
    public let duplicates: Counter
    /// ``Name/deviceTimeSkewed``.
    public let deviceTimeSkewed: Counter
    /// ``Name/deviceTimeUnreadable``.
    public let deviceTimeUnreadable: Counter
    /// ``Name/appendDuration``.
    public let appendDuration: Timer
    /// ``Name/checkpointsSealed``.
    public let checkpointsSealed: Counter
    /// ``Name/sealFailures``.
    public let sealFailures: Counter
    /// ``Name/sealDuration``.
    public let sealDuration: Timer
    /// ``Name/treeSize``.
    public let treeSize: Gauge
    /// ``Name/sealedSize``.
    public let sealedSize: Gauge
    /// ``Name/bytesOnDisk``.
    public let bytesOnDisk: Gauge
    /// ``Name/mqttConnected``.
    public let mqttConnected: Gauge
    /// ``Name/storageBackpressure``.
    public let storageBackpressure: Gauge
    /// ``Name/journalDamagedRegions``.
    public let journalDamagedRegions: Counter
    /// ``Name/journalLostReadings``.
    public let journalLostReadings: Counter
    /// ``Name/journalQuarantinedBytes``.
    public let journalQuarantinedBytes: Counter
    /// ``Name/journalDamageUnacknowledged``.
    public let journalDamageUnacknowledged: Gauge
    /// ``Name/storeDamaged``.
    public let storeDamaged: Gauge
    /// ``Name/storeDamageDetected``.
    public let storeDamageDetected: Counter
    /// ``Name/integrityChecks``.
    public let integrityChecks: Counter
    /// The Sparkplug B host's gaps and rebirth requests.
    public let sparkplug: SparkplugMetrics
    /// The deduplication metrics beside ``duplicates``.
    public let dedup: DedupMetrics

    private let rejectedByReason: [RejectionReason: Counter]
    private let upstreamsByName: [String: Upstream]
    /// The last sealed size and each upstream's last acknowledged size: the lag gauges follow
    /// both, so a growing log raises the lag of an upstream that acknowledges nothing.
    private let sizes = Mutex<(sealed: UInt64, acked: [String: UInt64])>((0, [:]))

    /// Creates every metric, for the given upstream names, through `factory`.
    ///
    /// - Parameters:
    ///   - upstreams: the configured `[[upstreams]]` names; each gets its own labelled series.
    ///   - factory: where the metrics go; by default the bootstrapped `MetricsSystem.factory`.
    public init(upstreams: [String] = [], factory: any MetricsFactory = MetricsSystem.factory) {
        func counter(_ name: String, _ dimensions: [(String, String)] = []) -> Counter {
            Counter(label: name, dimensions: dimensions, factory: factory)
        }
        func gauge(_ name: String, _ dimensions: [(String, String)] = []) -> Gauge {
            Gauge(label: name, dimensions: dimensions, factory: factory)
        }
        readingsReceived = counter(Name.readingsReceived)
        readingsStored = counter(Name.readingsStored)
        storeFailures = counter(Name.storeFailures)
        duplicates = counter(Name.duplicates)
        deviceTimeSkewed = counter(Name.deviceTimeSkewed)
        deviceTimeUnreadable = counter(Name.deviceTimeUnreadable)
        appendDuration = Timer(label: Name.appendDuration, dimensions: [], factory: factory)
        checkpointsSealed = counter(Name.checkpointsSealed)
        sealFailures = counter(Name.sealFailures)
        sealDuration = Timer(label: Name.sealDuration, dimensions: [], factory: factory)
        treeSize = gauge(Name.treeSize)
        sealedSize = gauge(Name.sealedSize)
        bytesOnDisk = gauge(Name.bytesOnDisk)
        mqttConnected = gauge(Name.mqttConnected)
        storageBackpressure = gauge(Name.storageBackpressure)
        journalDamagedRegions = counter(Name.journalDamagedRegions)
        journalLostReadings = counter(Name.journalLostReadings)
        journalQuarantinedBytes = counter(Name.journalQuarantinedBytes)
        journalDamageUnacknowledged = gauge(Name.journalDamageUnacknowledged)
        storeDamaged = gauge(Name.storeDamaged)
        storeDamageDetected = counter(Name.storeDamageDetected)
        integrityChecks = counter(Name.integrityChecks)
        sparkplug = SparkplugMetrics(factory: factory)
        dedup = DedupMetrics(factory: factory)
        var rejected: [RejectionReason: Counter] = [:]
        for reason in RejectionReason.allCases {
            rejected[reason] = counter(Name.readingsRejected, [("reason", reason.rawValue)])
        }
        rejectedByReason = rejected
        var byName: [String: Upstream] = [:]
        for name in upstreams where byName[name] == nil {
            let label = [("upstream", name)]
            byName[name] = Upstream(
                lag: gauge(Name.upstreamLag, label), ackedSize: gauge(Name.upstreamAckedSize, label),
                pushFailures: gauge(Name.upstreamPushFailures, label),
                pushFailuresTotal: counter(Name.upstreamPushFailuresTotal, label))
        }
        upstreamsByName = byName
        // Start gauges at a defined value so that a scrape before the first update shows them.
        mqttConnected.record(0)
        storageBackpressure.record(0)
        journalDamageUnacknowledged.record(0)
        storeDamaged.record(0)
    }

    /// ``Name/readingsRejected`` for `reason`.
    public func rejected(_ reason: RejectionReason) -> Counter {
        rejectedByReason[reason]!  // every case is created in init
    }

    /// The metrics of the configured upstream `name`, or `nil` for a name that was not given to
    /// the initializer.
    public func upstream(_ name: String) -> Upstream? { upstreamsByName[name] }

    /// Records the sizes of the log: entries, sealed size and (when given) bytes on disk.
    public func recordSizes(treeSize: UInt64, sealedSize: UInt64, bytesOnDisk: Int64? = nil) {
        self.treeSize.record(Int64(clamping: treeSize))
        self.sealedSize.record(Int64(clamping: sealedSize))
        if let bytesOnDisk { self.bytesOnDisk.record(bytesOnDisk) }
        let acked = sizes.withLock { sizes in
            sizes.sealed = sealedSize
            return sizes.acked
        }
        for (name, upstream) in upstreamsByName {
            upstream.lag.record(Self.lag(sealedSize: sealedSize, ackedSize: acked[name] ?? 0))
        }
    }

    /// Records an upstream's acknowledged size and its lag behind `sealedSize`; ignores names
    /// that are not configured.
    public func recordUpstream(_ name: String, ackedSize: UInt64, sealedSize: UInt64) {
        guard let upstream = upstreamsByName[name] else { return }
        let sealed = sizes.withLock { sizes in
            sizes.acked[name] = ackedSize
            sizes.sealed = max(sizes.sealed, sealedSize)
            return sizes.sealed
        }
        upstream.ackedSize.record(Int64(clamping: ackedSize))
        upstream.lag.record(Self.lag(sealedSize: sealed, ackedSize: ackedSize))
    }

    /// Sealed entries an upstream has not acknowledged.
    private static func lag(sealedSize: UInt64, ackedSize: UInt64) -> Int64 {
        Int64(clamping: sealedSize - min(ackedSize, sealedSize))
    }

    /// Records the outcome of a push to upstream `name`: `consecutiveFailures` is 0 after a
    /// success; a failure also counts in the total.
    public func recordPush(_ name: String, failed: Bool, consecutiveFailures: Int) {
        guard let upstream = upstreamsByName[name] else { return }
        upstream.pushFailures.record(consecutiveFailures)
        if failed { upstream.pushFailuresTotal.increment() }
    }
}
