import EdgeLedgerCore
import EdgeLedgerSparkplug

/// The simulator's Sparkplug B mode: sensor `press-07` is the edge node `press-07` of group
/// `<topicPrefix>`. Its first message is its NBIRTH (`seq` 0, `bdSeq` 0, its metric — and
/// `channel 1`, … up to `sparkplugMetrics` metrics — and `Node Control/Rebirth` = false); then
/// NDATA with `seq` 1, 2, … (mod 256) and the metrics' new values. Malformed messages go to the node's NDATA topic (truncated protobuf, JSON, garbage) and
/// use up no `seq`, so an agent sees no gap in a simulator's stream.
extension SimulatedReadingGenerator {
    /// `spBv1.0/<topicPrefix>/NDATA/<sensor>`.
    func sparkplugDataTopic(sensor index: Int) -> String {
        "\(SparkplugTopic.namespace)/\(topicPrefix)/\(SparkplugAttributes.MessageType.ndata.name)/\(sensors[index].id)"
    }

    /// The topic and payload of the sensor's message number `sequence` (0: its NBIRTH).
    func sparkplugReading(sensor index: Int, sequence: Int, timestampMillis: Int64) -> (topic: String, payload: [UInt8])
    {
        let sensor = sensors[index]
        let timestamp = UInt64(max(0, timestampMillis))
        var metrics = [
            SparkplugEncoder.metric(
                "\(sensor.kind.rawValue) [\(sensor.kind.unit)]", double: sensor.value, timestamp: timestamp)
        ]
        for channel in 1..<sparkplugMetrics {
            metrics.append(
                SparkplugEncoder.metric(
                    "channel \(channel)", double: sensor.value + Double(channel), timestamp: timestamp))
        }
        if sequence == 0 {
            let topic =
                "\(SparkplugTopic.namespace)/\(topicPrefix)/\(SparkplugAttributes.MessageType.nbirth.name)/\(sensor.id)"
            return (topic, SparkplugEncoder.nodeBirth(timestamp: timestamp, bdSeq: 0, metrics: metrics))
        }
        let payload = SparkplugEncoder.payload(timestamp: timestamp, seq: UInt64(sequence % 256), metrics: metrics)
        return (sparkplugDataTopic(sensor: index), payload)
    }
}
