import EdgeLedgerCore
import EdgeLedgerSparkplug
import Testing

@Suite struct SparkplugDecoderTests {
    private func decode(_ topic: String, _ payload: [UInt8]) throws(SparkplugDecodingError) -> SparkplugMessage {
        try SparkplugDecoder.decode(topic: topic, payload: payload)
    }

    private func failure(_ topic: String, _ payload: [UInt8]) -> SparkplugDecodingError? {
        do {
            _ = try decode(topic, payload)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesEveryTopicShape() throws {
        let birth = try SparkplugTopic(parsing: "spBv1.0/plant-7/NBIRTH/press-1")
        #expect(birth.messageType == .nbirth)
        #expect(birth.node == SparkplugNode(groupID: "plant-7", edgeNodeID: "press-1"))
        #expect(birth.deviceID == nil)
        let device = try SparkplugTopic(parsing: "spBv1.0/plant-7/DDATA/press-1/spindle")
        #expect(device.messageType == .ddata && device.deviceID == "spindle")
        let state = try SparkplugTopic(parsing: "spBv1.0/STATE/scada-1")
        #expect(state.messageType == .state && state.hostID == "scada-1" && state.node == nil)
        #expect(SparkplugNode(groupID: "g", edgeNodeID: "n").commandTopic == "spBv1.0/g/NCMD/n")
    }

    @Test func refusesTopicsOutsideTheNamespaceWithTheReason() {
        let cases: [(String, String)] = [
            ("spAv1.0/g/NDATA/n", "namespace"),
            ("spBv1.0/g/NDATA", "levels"),
            ("spBv1.0/g/DDATA/n", "expected 5"),
            ("spBv1.0/g/NDATA/n/d", "expected 4"),
            ("spBv1.0/g/XDATA/n", "unknown message type"),
            ("spBv1.0//NDATA/n", "empty"),
            ("spBv1.0/STATE/a/b", "STATE"),
        ]
        for (topic, reason) in cases {
            let error = failure(topic, SparkplugEncoder.payload(timestamp: 1, seq: 0, metrics: []))
            #expect(error?.kind == .topic, "\(topic)")
            #expect(error?.description.contains(reason) == true, "\(topic): \(String(describing: error))")
        }
    }

    @Test func decodesSeqTimestampAndBdSeq() throws {
        let birth = try decode(
            "spBv1.0/g/NBIRTH/n",
            SparkplugEncoder.nodeBirth(
                timestamp: 1_767_225_600_123, bdSeq: 42, metrics: [SparkplugEncoder.metric("t", double: 21.5)]))
        #expect(birth.seq == 0 && birth.bdSeq == 42 && birth.timestamp == 1_767_225_600_123)
        #expect(birth.timestampNanoseconds == 1_767_225_600_123_000_000)
        #expect(birth.metricCount == 3)
        let death = try decode("spBv1.0/g/NDEATH/n", SparkplugEncoder.nodeDeath(timestamp: 5, bdSeq: 42))
        #expect(death.bdSeq == 42 && death.seq == nil)
        let data = try decode(
            "spBv1.0/g/DDATA/n/d",
            SparkplugEncoder.payload(timestamp: 9, seq: 17, metrics: [SparkplugEncoder.metric("bdSeq", uint64: 3)]))
        #expect(data.seq == 17 && data.bdSeq == nil, "bdSeq is read from NBIRTH and NDEATH only")
        let state = try decode("spBv1.0/STATE/host", Array(#"{"online":true,"timestamp":1}"#.utf8))
        #expect(state.messageType == .state)
    }

    @Test func refusesMalformedPayloads() {
        let malformed: [[UInt8]] = [
            [0x08],  // truncated varint
            [0x12, 0x05, 0x0a],  // length beyond the end
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],  // overlong tag
            Array("{\"json\":true}".utf8),
        ]
        for payload in malformed {
            #expect(failure("spBv1.0/g/NDATA/n", payload)?.kind == .payload, "\(payload)")
        }
        #expect(failure("spBv1.0/STATE/host", [0x08, 0x01])?.kind == .payload)
    }

    @Test func refusesNestingBeyondTheBound() {
        let deep = SparkplugDecoder.maximumNestingDepth  // templates: two messages per level
        let error = failure("spBv1.0/g/NDATA/n", payload(metric: nestedMetric(templates: deep)))
        #expect(error?.kind == .tooDeep, "\(String(describing: error))")
        #expect(failure("spBv1.0/g/NDATA/n", payload(metric: nestedMetric(templates: 6))) == nil)
    }

    /// A metric holding a template holding a metric … `templates` times.
    private func nestedMetric(templates: Int) -> [UInt8] {
        var metric: [UInt8] = []
        for _ in 0..<templates {
            let template = [0x12] + varint(metric.count) + metric  // Template.metrics = 2
            metric = [0x92, 0x01] + varint(template.count) + template  // Metric.template_value = 18
        }
        return metric
    }

    private func payload(metric: [UInt8]) -> [UInt8] { [0x12] + varint(metric.count) + metric }

    private func varint(_ n: Int) -> [UInt8] {
        var n = UInt64(n)
        var out: [UInt8] = []
        repeat {
            out.append(UInt8(n & 0x7f) | (n > 0x7f ? 0x80 : 0))
            n >>= 7
        } while n > 0
        return out
    }
}
