import EdgeLedgerCore
import EdgeLedgerMQTT
import EdgeLedgerSparkplug
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import Synchronization

/// The hot path: one MQTT reading in, one journaled reading (or a recorded rejection) out.
///
/// Runs on libmosquitto's network thread (see ``MQTTClient``): ``handle(_:)`` returns only after
/// a QoS 1/2 reading is in the store's ``IngestJournal`` (one `write(2)`; `fdatasync` under
/// `durability = "power"`), and the broker's PUBACK leaves after it returns. The journal's own
/// thread folds readings into SQLite in large transactions; a crash loses nothing acknowledged
/// (the journal is replayed at the next start).
///
/// QoS 0 readings carry no acknowledgement: they skip the journal file and are folded with the
/// rest, a few milliseconds later. A crash can lose those, which MQTT QoS 0 allows.
public final class IngestPipeline: Sendable {
    /// The journal in front of the store.
    public let journal: IngestJournal
    private let validator: Mutex<ReadingValidator>
    let rejectLog: Mutex<RejectionLogLimiter>
    let logBudget: LogBudget
    let logger: Logger
    /// `mqtt.device_time_max_skew` in nanoseconds.
    let deviceTimeMaxSkew: Atomic<Int64>
    /// Counters for status and tests.
    public let statistics: IngestStatistics
    let metrics: AgentMetrics?
    /// The Sparkplug B host state of `sparkplug_b` topics; its gaps become entries.
    public let sparkplug: SparkplugHost?

    /// Opens the store's journal (replaying what a crash left in it) and starts its folder.
    ///
    /// `logBudget` limits the warnings about rejected readings (the process's shared budget;
    /// one of its own when `nil`).
    ///
    /// - Throws: ``StoreError`` when the journal cannot be opened or replayed.
    /// `deviceTimeMaxSkew`: a device time further than this from the receive time is counted and
    /// logged as skewed (`mqtt.device_time_max_skew`).
    public init(
        store: LedgerStore, validator: ReadingValidator, statistics: IngestStatistics = IngestStatistics(),
        metrics: AgentMetrics? = nil, sparkplug: SparkplugHost? = nil, logBudget: LogBudget? = nil,
        deviceTimeMaxSkew: Duration = .seconds(300), logger: Logger
    ) throws(StoreError) {
        let events = IngestJournal.Events(
            folded: { entries, _, _ in
                statistics.stored.add(entries, ordering: .relaxed)
                metrics?.readingsStored.increment(by: entries)
            },
            storeFailure: { error in
                if let error {
                    metrics?.storageBackpressure.record(1)
                    logger.error(
                        "the store refuses readings; acknowledgements are withheld until it takes them again",
                        metadata: ["error": "\(error)"])
                } else {
                    metrics?.storageBackpressure.record(0)
                    logger.notice("the store takes readings again")
                }
            },
            foldedPastQuota: { entries in
                logger.warning(
                    "stored acknowledged readings past the store's quota at shutdown; the store stays full until space is freed or the quota raised",
                    metadata: ["readings": "\(entries)"])
            })
        self.journal = try IngestJournal(store: store, events: events)
        self.validator = Mutex(validator)
        self.deviceTimeMaxSkew = Atomic(deviceTimeMaxSkew.nanosecondsClamped)
        self.statistics = statistics
        self.metrics = metrics
        self.sparkplug = sparkplug
        self.logger = logger
        self.logBudget = logBudget ?? LogBudget(logger: logger)
        self.rejectLog = Mutex(RejectionLogLimiter(interval: validator.limits.rejectLogInterval))
        let recovery = journal.recovery
        if recovery.replayed > 0 {
            logger.notice(
                "replayed journaled readings into the store",
                metadata: ["readings": "\(recovery.replayed)", "segments": "\(recovery.segments)"])
        }
        Self.report(recovery, metrics: metrics, logger: logger)
    }

    /// Logs and counts what replay skipped: damage at error level (acknowledged readings may be
    /// lost), a torn tail as a warning (a crash interrupted a write that was not acknowledged).
    private static func report(_ recovery: IngestJournal.Recovery, metrics: AgentMetrics?, logger: Logger) {
        for damage in recovery.damage {
            let metadata: Logger.Metadata = [
                "segment": "\(damage.segment)", "offset": "\(damage.offset)", "bytes": "\(damage.length)",
                "reason": "\(damage.reason)", "lost": "\(damage.lostDescription)", "quarantine": "\(damage.quarantine)",
            ]
            metrics?.journalQuarantinedBytes.increment(by: damage.length)
            switch damage.kind {
            case .damaged:
                metrics?.journalDamagedRegions.increment()
                metrics?.journalLostReadings.increment(by: Int(damage.lostReadings))
                logger.error(
                    "damaged records in the ingest journal: replay skipped them and resumed after them; their bytes are kept in quarantine; acknowledge with `edge-ledger status --ack-journal-damage`",
                    metadata: metadata)
            case .tornTail:
                logger.warning(
                    "the ingest journal ends in a write a crash interrupted (that reading was not acknowledged); its bytes are kept in quarantine",
                    metadata: metadata)
            }
        }
        for failure in recovery.quarantineFailures {
            logger.error(
                "cannot copy damaged ingest journal bytes to quarantine; the segment is kept and replayed again at the next start",
                metadata: ["error": "\(failure)"])
        }
    }

    /// Replaces topics, limits and the device-time skew bound (on reload); takes effect with the
    /// next reading.
    public func update(validator new: ReadingValidator, deviceTimeMaxSkew: Duration? = nil) {
        validator.withLock { $0 = new }
        if let deviceTimeMaxSkew {
            self.deviceTimeMaxSkew.store(deviceTimeMaxSkew.nanosecondsClamped, ordering: .relaxed)
        }
        rejectLog.withLock { $0 = RejectionLogLimiter(interval: new.limits.rejectLogInterval) }
    }

    /// Handles one reading; returns whether the broker may have its acknowledgement.
    public func handle(_ message: MQTTMessage) -> MQTTMessageDisposition {
        statistics.received.add(1, ordering: .relaxed)
        metrics?.readingsReceived.increment()
        let now = SystemClock.nowNanoseconds()
        let verdict = validator.withLock { $0.validateRemembering(topic: message.topic, payload: message.payload) }
        let accepted: ReadingValidator.Accepted
        switch verdict {
        case .failure(let rejection):
            return reject(message, rejection, at: now)
        case .success(let a):
            accepted = a
        }
        let attributes = attributes(of: message, accepted: accepted, receivedAt: now)
        if !attributes.isEmpty, let rejection = Self.sizeProblem(message, accepted.topic, attributes) {
            return reject(message, rejection, at: now)
        }
        // Sparkplug: a gap this message reveals is recorded first, as an entry of its own.
        if let sparkplugMessage = accepted.sparkplug, let gap = sparkplug?.observe(sparkplugMessage, now: now) {
            record(gap, at: now)
        }
        let reading = ReadingInput(
            receivedAt: now, qos: message.qos, retain: message.retain, topic: accepted.topic,
            payload: Array(message.payload), attributes: attributes)
        let journaled = message.qos > 0
        // Only journaled readings wait for a write before their acknowledgement: only they are timed.
        let started = journaled && metrics != nil ? ContinuousClock.now : nil
        do {
            try journal.append(reading, journaled: journaled)
        } catch {
            // A QoS 0 reading is lost (counted); a QoS 1 reading is withheld, so the broker keeps
            // it and redelivers it after the reconnect. The journal logs the store's failure once.
            statistics.storeFailures.add(1, ordering: .relaxed)
            metrics?.storeFailures.increment()
            logger.debug("reading not stored", metadata: ["error": "\(error)", "qos": "\(message.qos)"])
            return message.qos == 0 ? .acknowledge : .withhold(reason: "\(error)")
        }
        if let started { metrics?.appendDuration.record(duration: ContinuousClock.now - started) }
        return .acknowledge
    }

    /// Folds everything accepted so far into the store, then stops the journal. Call after the
    /// MQTT client has stopped.
    public func close() {
        journal.close()
    }

    /// Why the store is not accepting readings, or nil when it is.
    public var storeProblem: String? { journal.problem.map { "\($0)" } }

    // MARK: - Internals

    /// Records a Sparkplug gap as an entry of its own, journaled (durable before the reading that
    /// revealed it is acknowledged), before that reading.
    private func record(_ gap: SparkplugGap, at now: Int64) {
        let entry = ReadingInput(receivedAt: now, qos: 1, retain: false, topic: gap.topic, payload: gap.json())
        do {
            try journal.append(entry, journaled: true)
        } catch {
            // Counted and logged: the gap is still in /metrics and `status`.
            statistics.storeFailures.add(1, ordering: .relaxed)
            metrics?.storeFailures.increment()
            logger.error(
                "cannot record a Sparkplug gap entry", metadata: ["error": "\(error)", "gap": "\(gap.explanation)"])
        }
    }

    private func reject(_ message: MQTTMessage, _ rejection: Rejection, at now: Int64) -> MQTTMessageDisposition {
        statistics.countRejected(rejection.reason)
        metrics?.rejected(rejection.reason).increment()
        let topic = String(decoding: message.topic.prefix(512), as: UTF8.self)
        rejectLog.withLock { $0 }.record(
            topic: topic, rejection: rejection, size: message.payload.count, budget: logBudget, logger: logger)
        // The reading is rejected either way; a dropped diagnostic row (queue full) loses no entry.
        journal.record(
            RejectedReading(
                receivedAt: now, topic: topic, reason: "\(rejection.reason.rawValue): \(rejection.detail)",
                payload: message.payload))
        return .acknowledge
    }

}
