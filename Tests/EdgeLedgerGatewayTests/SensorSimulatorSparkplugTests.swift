import EdgeLedgerCore
import EdgeLedgerGateway
import EdgeLedgerSparkplug
import Testing

/// The simulator's Sparkplug B mode, checked with the agent's own decoder and host state.
@Suite struct SensorSimulatorSparkplugTests {
    @Test func eachSensorIsAnEdgeNodeThatBirthsThenCountsWithoutGaps() throws {
        var generator = SimulatedReadingGenerator(
            sensors: 3, topicPrefix: "plant-7", badEvery: 7, seed: 5, format: .sparkplugB)
        var state = SparkplugHostState()
        var seqs: [String: [UInt64]] = [:]
        for n in 0..<900 {
            let m = generator.next(timestampMillis: 1_767_225_600_000 + Int64(n))
            let decoded = try? SparkplugDecoder.decode(topic: m.topic, payload: m.payload)
            if let kind = m.malformed {
                if kind != .oversized {  // the agent refuses that one by its size first
                    #expect(decoded == nil, "a malformed \(kind) message decodes")
                }
                continue
            }
            let message = try #require(decoded, "\(m.topic)")
            #expect(message.topic.node == SparkplugNode(groupID: "plant-7", edgeNodeID: m.sensor))
            #expect(message.timestamp == 1_767_225_600_000 + UInt64(n) && message.metricCount >= 1)
            #expect(state.observe(message, now: Int64(n)).gap == nil, "\(m.topic) seq \(message.seq ?? 999)")
            if seqs[m.sensor] == nil { #expect(message.messageType == .nbirth && message.bdSeq == 0) }
            seqs[m.sensor, default: []].append(try #require(message.seq))
        }
        #expect(seqs.count == 3)
        for (_, sequence) in seqs {
            #expect(sequence == sequence.indices.map { UInt64($0 % 256) }, "0 (NBIRTH), 1, 2, … mod 256")
        }
    }

    @Test func tenMetricsPerMessageForTheIngestBenchmark() throws {
        var generator = SimulatedReadingGenerator(
            sensors: 2, topicPrefix: "bench", seed: 9, format: .sparkplugB, sparkplugMetrics: 10)
        for n in 0..<6 {
            let m = generator.next(timestampMillis: 1_767_225_600_000 + Int64(n))
            let message = try SparkplugDecoder.decode(topic: m.topic, payload: m.payload)
            #expect(message.metricCount == (message.messageType == .nbirth ? 12 : 10), "\(m.topic)")
        }
    }
}
