/// Limits applied to every reading before it becomes an entry (`[ingest]`).
public struct IngestConfiguration: Sendable, Equatable {
    /// Hard upper bound of ``maxPayloadBytes``: with the topic and the entry header, an entry
    /// stays under the 64 KiB tlog-tiles limit.
    public static let payloadLimit = 60_000
    /// Hard upper bound of ``maxTopicBytes``.
    public static let topicLimit = 4_096

    /// Largest payload accepted, 1...60000 bytes. Default 16384 (16 KiB).
    public var maxPayloadBytes: Int
    /// Longest topic accepted, 1...4096 bytes. Default 512.
    public var maxTopicBytes: Int
    /// At most one warning per this interval about rejected readings (the rest are counted).
    /// Default 10s.
    public var rejectLogInterval: Duration
    /// How many leading payload bytes of a rejected reading are kept in the rejected table,
    /// 0...1024. Default 64.
    public var rejectedSampleBytes: Int
    /// Most deduplication keys remembered (`[[mqtt.topics]]` `dedup`), 1000...100000000. Default
    /// 1000000 (about 110 MB of store). Past it the oldest keys are forgotten early.
    public var dedupMaxKeys: Int

    /// Creates ingest limits.
    public init(
        maxPayloadBytes: Int = 16_384, maxTopicBytes: Int = 512, rejectLogInterval: Duration = .seconds(10),
        rejectedSampleBytes: Int = 64, dedupMaxKeys: Int = 1_000_000
    ) {
        self.maxPayloadBytes = maxPayloadBytes
        self.maxTopicBytes = maxTopicBytes
        self.rejectLogInterval = rejectLogInterval
        self.rejectedSampleBytes = rejectedSampleBytes
        self.dedupMaxKeys = dedupMaxKeys
    }

    init(reading r: ConfigTableReader) {
        let d = IngestConfiguration()
        self.init(
            maxPayloadBytes: r.byteSize("max_payload_bytes", default: d.maxPayloadBytes, in: 1...Self.payloadLimit),
            maxTopicBytes: r.byteSize("max_topic_bytes", default: d.maxTopicBytes, in: 1...Self.topicLimit),
            rejectLogInterval: r.duration(
                "reject_log_interval", default: d.rejectLogInterval, in: .zero...(.seconds(86_400))),
            rejectedSampleBytes: r.byteSize("rejected_sample_bytes", default: d.rejectedSampleBytes, in: 0...1024),
            dedupMaxKeys: r.integer("dedup_max_keys", default: d.dedupMaxKeys, in: 1_000...100_000_000))
        r.finish()
    }
}
