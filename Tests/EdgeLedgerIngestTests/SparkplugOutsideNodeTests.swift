import EdgeLedgerCore
import EdgeLedgerSparkplug
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

/// pysparkplug (PyPI), an edge node nobody here wrote, against the real agent and mosquitto. It
/// runs from the virtual environment `scripts/setup.sh` makes (`.venv-sparkplug/`: pysparkplug
/// pins paho-mqtt<2, which the flood fault test cannot share). It omits the Rebirth metric and
/// ignores NCMD: a source of realistic traffic, not a conformance reference.
@Suite(.serialized) struct SparkplugOutsideNodeTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let python = repository.appendingPathComponent(".venv-sparkplug/bin/python").path
    static let script = repository.appendingPathComponent("scripts/sparkplug/pysparkplug-edge-node.py").path
    static var available: Bool { FileManager.default.isExecutableFile(atPath: python) }

    @Test(
        .enabled(
            if: available,
            "pysparkplug's virtual environment .venv-sparkplug/ is missing: run scripts/setup.sh (it needs python3 -m venv and PyPI)"
        ))
    func pysparkplugBirthDataAndDeathBecomeEntriesWithTheirMetadata() throws {
        let broker = try MosquittoBroker()
        let h = try AgentHarness(broker: broker, extraTopics: SparkplugIngestTests.topics)
        try h.start()
        let started = UInt64(Date().timeIntervalSince1970 * 1000)
        let output = h.directory.appendingPathComponent("pysparkplug.out").path
        let node = try ChildProcess(
            executable: Self.python,
            arguments: [Self.script, "127.0.0.1", String(broker.port), "plant-7", "py-node", "20"], outputFile: output)
        #expect(node.wait(timeout: 60) == 0, "\((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        // NBIRTH, 20 NDATA, NDEATH, the gap record of pysparkplug's NDEATH (below) and the
        // agent's rebirth NCMD for it, which pysparkplug ignores.
        #expect(try h.waitForEntries(24) == 24, "\(h.log)")
        usleep(300_000)
        #expect(h.stop() == 0)

        let r = try h.reader()
        let entries = try r.entries(from: 0, to: try r.nextIndex())
        #expect(entries.count == 24)
        #expect(entries.last?.topic == "spBv1.0/plant-7/NCMD/py-node")
        // What each entry records (format v2 attributes), and that it is what its raw bytes say.
        let recorded = entries.dropLast().filter { !$0.topic.hasPrefix(SparkplugGap.topicPrefix) }
        let messages = try recorded.compactMap { entry -> SparkplugAttributes? in
            let decoded = try SparkplugDecoder.decode(topic: entry.topic, payload: entry.payload)
            #expect(entry.attributes.sparkplug == decoded.attributes)
            #expect(entry.attributes.deviceTime == decoded.timestampNanoseconds && entry.attributes.deviceTime != nil)
            return entry.attributes.sparkplug
        }
        #expect(messages.count == 22)
        #expect(messages.map(\.messageType) == [.nbirth] + Array(repeating: .ndata, count: 20) + [.ndeath])
        #expect(messages.allSatisfy { $0.groupID == "plant-7" && $0.edgeNodeID == "py-node" && $0.deviceID == nil })
        #expect(messages.dropLast().map(\.seq) == (0...20).map { UInt64($0) }, "NBIRTH seq 0, then one more each")
        #expect(messages.first?.bdSeq == 0)
        let ended = UInt64(Date().timeIntervalSince1970 * 1000)
        #expect(messages.allSatisfy { ($0.timestamp ?? 0) >= started - 5_000 && ($0.timestamp ?? 0) <= ended })
        // pysparkplug 0.6.1 sets up the next session's will before a clean disconnect, so its NDEATH
        // carries bdSeq 1 for an NBIRTH of bdSeq 0: a host application must not take that death
        // for this birth's, and the agent records the mismatch (the node stays alive).
        #expect(messages.last?.bdSeq == 1)
        let gaps = entries.filter { $0.topic.hasPrefix(SparkplugGap.topicPrefix) }
        #expect(gaps.map(\.topic) == ["$edge-ledger/sparkplug/gap/plant-7/py-node"])
        let gap = String(decoding: gaps.first?.payload ?? [], as: UTF8.self)
        #expect(gap.contains(#""kind":"bdseq_mismatch""#) && gap.contains(#""expected_bdseq":0"#), "\(gap)")
        #expect(entries.dropLast().last?.topic == "spBv1.0/plant-7/NDEATH/py-node", "the gap comes before the NDEATH")
        #expect(try r.rejectedCount() == 0)
    }
}
