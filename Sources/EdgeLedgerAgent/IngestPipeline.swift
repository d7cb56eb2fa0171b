import EdgeLedgerCore
import EdgeLedgerMQTT
import EdgeLedgerStore
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The hot path: one MQTT reading in, one committed entry (or a recorded rejection) out.
///
/// Runs on libmosquitto's network thread (see ``MQTTClient``): ``handle(_:)`` returns only after
/// the reading's transaction is committed, and the broker's PUBACK leaves after it returns.
///
/// QoS 0 readings carry no acknowledgement, so they are buffered and committed in groups: when
/// ``groupLimit`` are waiting, together with the next QoS 1/2 reading (which keeps arrival
/// order), or by ``flush()`` which the ingest service calls every ``IngestService`` tick. A crash
/// can lose at most that buffer, which MQTT QoS 0 allows.
public final class IngestPipeline: Sendable {
    /// QoS 0 readings committed per group at most.
    public static let groupLimit = 512

    private let store: LedgerStore
    private let validator: Mutex<ReadingValidator>
    /// Buffered QoS 0 readings. Held across the commit, so commits keep arrival order.
    private let buffer = Mutex<[ReadingInput]>([])
    private let rejectLog: Mutex<RejectionLogLimiter>
    private let logger: Logger
    private let onStored: @Sendable (_ pending: UInt64) -> Void
    /// Counters for status and tests.
    public let statistics: IngestStatistics
    private let metrics: AgentMetrics?
    /// False from a failed commit until the next successful one (readiness).
    private let storeWritable = Atomic<Bool>(true)
    private let lastStoreError = Mutex<String?>(nil)

    /// - Parameters:
    ///   - onStored: called after each commit with the number of entries awaiting a seal
    ///     (the sealer uses it to seal early at `seal.max_entries`).
    public init(
        store: LedgerStore, validator: ReadingValidator, statistics: IngestStatistics = IngestStatistics(),
        metrics: AgentMetrics? = nil, logger: Logger,
        onStored: @escaping @Sendable (_ pending: UInt64) -> Void = { _ in }
    ) {
        self.store = store
        self.validator = Mutex(validator)
        self.statistics = statistics
        self.metrics = metrics
        self.logger = logger
        self.onStored = onStored
        self.rejectLog = Mutex(RejectionLogLimiter(interval: validator.limits.rejectLogInterval))
    }

    /// Replaces topics and limits (on reload); takes effect with the next reading.
    public func update(validator new: ReadingValidator) {
        validator.withLock { $0 = new }
        rejectLog.withLock { $0 = RejectionLogLimiter(interval: new.limits.rejectLogInterval) }
    }

    /// Handles one reading; returns whether the broker may have its acknowledgement.
    public func handle(_ message: MQTTMessage) -> MQTTMessageDisposition {
        statistics.received.add(1, ordering: .relaxed)
        metrics?.readingsReceived.increment()
        let now = Self.nowNanoseconds()
        let verdict = validator.withLock { $0.validate(topic: message.topic, payload: message.payload) }
        switch verdict {
        case .failure(let rejection):
            return reject(message, rejection, at: now)
        case .success(let topic):
            let reading = ReadingInput(
                receivedAt: now, qos: message.qos, retain: message.retain, topic: topic,
                payload: Array(message.payload))
            return message.qos == 0 ? bufferQoS0(reading) : commit(reading)
        }
    }

    /// Commits buffered QoS 0 readings now.
    public func flush() {
        buffer.withLock { pending in
            guard !pending.isEmpty else { return }
            _ = commitLocked(&pending, then: nil)
        }
    }

    /// Why the store is not accepting readings, or nil when the last commit succeeded.
    public var storeProblem: String? {
        storeWritable.load(ordering: .relaxed) ? nil : lastStoreError.withLock { $0 } ?? "store not writable"
    }

    // MARK: - Internals

    private func commit(_ reading: ReadingInput) -> MQTTMessageDisposition {
        buffer.withLock { pending in commitLocked(&pending, then: reading) }
    }

    private func bufferQoS0(_ reading: ReadingInput) -> MQTTMessageDisposition {
        buffer.withLock { pending in
            pending.append(reading)
            if pending.count >= Self.groupLimit { _ = commitLocked(&pending, then: nil) }
        }
        return .acknowledge
    }

    /// Commits `pending` (and `reading`, last) in one transaction. Called with the buffer locked.
    private func commitLocked(_ pending: inout [ReadingInput], then reading: ReadingInput?) -> MQTTMessageDisposition {
        let count = pending.count + (reading == nil ? 0 : 1)
        let started = ContinuousClock.now
        do {
            if pending.isEmpty, let reading {
                try store.append(reading)
            } else {
                if let reading { pending.append(reading) }
                try store.append(batch: pending)
            }
            pending.removeAll(keepingCapacity: true)
            statistics.stored.add(count, ordering: .relaxed)
            if let metrics {
                metrics.appendDuration.record(duration: ContinuousClock.now - started)
                metrics.readingsStored.increment(by: count)
            }
            if !storeWritable.load(ordering: .relaxed) {
                storeWritable.store(true, ordering: .relaxed)
                metrics?.storageBackpressure.record(0)
                logger.notice("the store accepts readings again")
            }
            onStored(store.pendingCount)
            return .acknowledge
        } catch {
            // QoS 0 readings in the group are dropped (counted); the QoS 1 reading is withheld,
            // so the broker keeps it and redelivers it after the reconnect.
            statistics.storeFailures.add(count, ordering: .relaxed)
            metrics?.storeFailures.increment(by: count)
            pending.removeAll(keepingCapacity: true)
            storeWritable.store(false, ordering: .relaxed)
            lastStoreError.withLock { $0 = "\(error)" }
            if error.kind == .diskFull { metrics?.storageBackpressure.record(1) }
            logger.error(
                "cannot store readings; acknowledgement withheld",
                metadata: ["error": "\(error)", "readings": "\(count)"])
            return .withhold(reason: "\(error)")
        }
    }

    private func reject(_ message: MQTTMessage, _ rejection: Rejection, at now: Int64) -> MQTTMessageDisposition {
        statistics.countRejected(rejection.reason)
        metrics?.rejected(rejection.reason).increment()
        let topic = String(decoding: message.topic.prefix(512), as: UTF8.self)
        rejectLog.withLock { $0 }.record(
            topic: topic, rejection: rejection, size: message.payload.count, logger: logger)
        do {
            try store.reject(
                RejectedReading(
                    receivedAt: now, topic: topic, reason: "\(rejection.reason.rawValue): \(rejection.detail)",
                    payload: message.payload))
        } catch {
            // The reading is rejected either way; failing to keep the diagnostic row loses no entry.
            logger.debug("cannot record a rejected reading", metadata: ["error": "\(error)"])
        }
        return .acknowledge
    }

    static func nowNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
