import SwiftProtobuf

/// Builds Sparkplug B payloads with the generated types: the agent's `Node Control/Rebirth`
/// command, and the births, data and deaths of the simulator and the tests.
public enum SparkplugEncoder {
    /// The metric that asks an edge node to publish its NBIRTH (and DBIRTHs) again.
    public static let rebirthMetricName = "Node Control/Rebirth"

    /// A boolean metric.
    public static func metric(_ name: String, boolean: Bool, timestamp: UInt64? = nil) -> SparkplugMetric {
        metric(name, .boolean, .booleanValue(boolean), timestamp: timestamp)
    }

    /// A 64-bit floating point metric.
    public static func metric(_ name: String, double: Double, timestamp: UInt64? = nil) -> SparkplugMetric {
        metric(name, .double, .doubleValue(double), timestamp: timestamp)
    }

    /// An unsigned 64-bit integer metric (`bdSeq` is one).
    public static func metric(_ name: String, uint64: UInt64, timestamp: UInt64? = nil) -> SparkplugMetric {
        metric(name, .uint64, .longValue(uint64), timestamp: timestamp)
    }

    private static func metric(
        _ name: String, _ type: SparkplugDataType, _ value: SparkplugMetric.OneOf_Value, timestamp: UInt64?
    ) -> SparkplugMetric {
        var metric = SparkplugMetric()
        metric.name = name
        metric.datatype = UInt32(type.rawValue)
        metric.value = value
        if let timestamp { metric.timestamp = timestamp }
        return metric
    }

    /// A payload's bytes: `timestamp` (milliseconds since the epoch), `seq` when given, `metrics`.
    public static func payload(timestamp: UInt64, seq: UInt64? = nil, metrics: [SparkplugMetric]) -> [UInt8] {
        var payload = SparkplugPayload()
        payload.timestamp = timestamp
        if let seq { payload.seq = seq }
        payload.metrics = metrics
        return encode(payload)
    }

    /// An NBIRTH: `seq` (0 by the specification), the `bdSeq` metric, then `metrics`.
    public static func nodeBirth(
        timestamp: UInt64, seq: UInt64 = 0, bdSeq: UInt64, metrics: [SparkplugMetric] = []
    ) -> [UInt8] {
        payload(
            timestamp: timestamp, seq: seq,
            metrics: [
                metric(SparkplugDecoder.bdSeqMetricName, uint64: bdSeq), metric(rebirthMetricName, boolean: false),
            ]
                + metrics)
    }

    /// An NDEATH: the `bdSeq` metric only, no `seq`.
    public static func nodeDeath(timestamp: UInt64, bdSeq: UInt64) -> [UInt8] {
        payload(timestamp: timestamp, metrics: [metric(SparkplugDecoder.bdSeqMetricName, uint64: bdSeq)])
    }

    /// The NCMD that asks an edge node for a new birth certificate: `Node Control/Rebirth` = true.
    public static func rebirthCommand(timestamp: UInt64) -> [UInt8] {
        payload(timestamp: timestamp, metrics: [metric(rebirthMetricName, boolean: true)])
    }

    /// The wire bytes of `payload`.
    public static func encode(_ payload: SparkplugPayload) -> [UInt8] {
        // Encoding a message without required fields (Sparkplug has none) cannot fail.
        (try? payload.serializedBytes()) ?? []
    }
}
