import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import EdgeLedgerUpstream
import Foundation
import Testing

/// Issue 4 end to end, with real processes only: a `mosquitto` broker, the agent
/// (`edge-ledger run`) and the reference upstream (`edge-ledger-upstream`) as witness, collector
/// and anchoring hook, talking over loopback HTTP.
@Suite(.serialized) struct UpstreamEndToEndTests {
    /// How long one expected event may take on a loaded two-core machine.
    static let patience = 120

    @Test func upstreamCollectsVerifiesCosignsAnchorsAndCatchesUpAfterAnOutage() async throws {
        let broker = try MosquittoBroker()
        let upstream = try UpstreamHarness()
        let gateway = try AgentHarness(broker: broker, http: true, extraConfig: upstream.gatewayUpstreamEntry)
        try upstream.configure(gateway: gateway)
        defer {
            upstream.stop(signal: SIGKILL)
            gateway.stop(signal: SIGKILL)
        }

        // The CLI prints the witness's cosignature verifier key that the gateway was given.
        let (printed, output) = try upstream.runOnce(["--config", upstream.configPath, "--print-verifier-key"])
        #expect(printed == 0, "\(output)")
        #expect(output.split(separator: "\n").contains { $0 == upstream.witnessKey }, "\(output)")

        try gateway.start()
        try upstream.start()

        // 1. Readings in; the upstream collects, verifies, acknowledges, cosigns and anchors them.
        try Readings.publish(to: broker, range: 0..<300)
        let first = try await waitForCheckpoint(gateway, size: 300)
        try await expectCollected(upstream, gateway, checkpoint: first)

        // 2. The upstream dies (SIGKILL: no clean shutdown); the gateway keeps ingesting and
        //    sealing, and its pushes fail.
        #expect(upstream.stop(signal: SIGKILL) == 128 + SIGKILL)
        try Readings.publish(to: broker, range: 300..<800)
        let second = try await waitForCheckpoint(gateway, size: 800)
        let noticed = await poll {
            ((try? gateway.reader().upstream(named: "dc-1")) ?? nil).map { $0.consecutiveFailures > 0 } ?? false
        }
        #expect(noticed, "\(gateway.log)")
        #expect(try gateway.reader().upstream(named: "dc-1")?.ackedSize == 300, "nothing acknowledged while down")
        // The gateway's metrics show the failing pushes.
        let failing = await poll { pushFailures(gateway, total: true) >= 1 && pushFailures(gateway) >= 1 }
        #expect(failing, "edge_ledger_upstream_push_failures(_total) stay 0 while the witness is down")

        // 3. Back up: it catches up from where it was, with no gap.
        try upstream.start()
        try await expectCollected(upstream, gateway, checkpoint: second)
        let recovered = await poll { pushFailures(gateway) == 0 }
        #expect(recovered, "edge_ledger_upstream_push_failures is not back at 0 after a successful push")
        #expect(upstream.stop() == 0, "SIGTERM must exit 0\n\(upstream.log)")
        #expect(gateway.stop() == 0, "SIGTERM must exit 0\n\(gateway.log)")

        let store = try upstream.openStore()
        let state = try #require(try await store.gatewayState(origin: gateway.origin))
        #expect(state.verifiedSize == 800 && state.stagedSize == 800 && state.ackedSize == 800)
        #expect(state.verifiedRoot == second.root)
        let collected = try await store.entries(gateway: state.id, from: 0, to: 800)
        let original = try gateway.reader().entries(from: 0, to: 800).map { $0.encode() }
        #expect(collected.count == 800)
        #expect(collected == original, "the upstream holds exactly the gateway's entries, in order")
        let checkpoints = try await store.checkpoints(gateway: state.id)
        #expect(checkpoints.contains { $0.size == 300 } && checkpoints.last?.size == 800)
        let reader = try gateway.reader()
        for checkpoint in checkpoints {
            #expect(checkpoint.root == (try reader.rootHash(size: checkpoint.size)), "root at \(checkpoint.size)")
        }
        // Every anchoring document names a checkpoint by origin#size with the gateway's root.
        let documents = upstream.anchorDocuments()
        for document in documents {
            let id = try #require(document["id"] as? String)
            let size = try #require(UInt64(id.dropFirst(gateway.origin.count + 1)))
            #expect(id == "\(gateway.origin)#\(size)")
            #expect(document["hash"] as? String == (try reader.rootHash(size: size)).hex, "hash of \(id)")
        }
        let anchored = Set(documents.compactMap { $0["id"] as? String })
        #expect(anchored.isSuperset(of: checkpoints.map { "\(gateway.origin)#\($0.size)" }), "\(anchored)")
    }

    /// The gateway's consecutive (or, with `total`, all) failed pushes to `dc-1` from its
    /// `/metrics`; -1 when they cannot be read.
    private func pushFailures(_ gateway: AgentHarness, total: Bool = false) -> Double {
        let name = total ? "edge_ledger_upstream_push_failures_total" : "edge_ledger_upstream_push_failures"
        return PrometheusText.value(Self.text(try? gateway.getBytes("/metrics")), name, ["upstream": "dc-1"]) ?? -1
    }

    /// Waits until the gateway's latest checkpoint has `size` entries.
    private func waitForCheckpoint(_ gateway: AgentHarness, size: UInt64) async throws -> CheckpointRecord {
        var latest: CheckpointRecord?
        _ = await poll {
            latest = (try? gateway.reader().latestCheckpoint()) ?? nil
            return latest?.size == size
        }
        let record = try #require(latest, "no checkpoint at all\n\(gateway.log)")
        try #require(record.size == size, "the gateway's checkpoint is at \(record.size), not \(size)\n\(gateway.log)")
        return record
    }

    /// Waits until the upstream has collected and verified `checkpoint`, the gateway has its
    /// acknowledgement and the witness's cosignature, and the hook got its anchoring document;
    /// then checks each of them.
    private func expectCollected(
        _ upstream: UpstreamHarness, _ gateway: AgentHarness, checkpoint: CheckpointRecord,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let size = Double(checkpoint.size)
        let origin = gateway.origin
        let id = "\(origin)#\(checkpoint.size)"
        let witness = try CosignatureV1Verifier(verifierKey: VerifierKey(parsing: upstream.witnessKey))
        var upstreamMetrics = ""
        var gatewayMetrics = ""
        var cosigned = false
        var anchored = false
        func observe() {
            // The upstream's metrics last: they must already count what the others show.
            gatewayMetrics = Self.text(try? gateway.getBytes("/metrics"))
            cosigned = Self.cosignedSize(gateway, witness) == checkpoint.size
            anchored = upstream.anchorDocuments().contains { $0["id"] as? String == id }
            upstreamMetrics = Self.text(try? gateway.fetch("http://127.0.0.1:\(upstream.port)/metrics"))
        }
        let done = await poll {
            // Cheap checks first (the store, the hook's files); HTTP (curl) only once they hold,
            // so that the test does not load the machine other suites' timings depend on.
            guard ((try? gateway.reader().upstream(named: "dc-1")) ?? nil)?.ackedSize == checkpoint.size,
                upstream.anchorDocuments().contains(where: { $0["id"] as? String == id })
            else { return false }
            observe()
            return PrometheusText.value(upstreamMetrics, "edge_ledger_collector_entries", ["gateway": origin]) == size
                && PrometheusText.value(gatewayMetrics, "edge_ledger_upstream_acked_size", ["upstream": "dc-1"]) == size
                && cosigned && anchored
        }
        if !done { observe() }  // what each check below sees when time ran out
        let context = "\nupstream log:\n\(upstream.log.suffix(4000))\ngateway log:\n\(gateway.log.suffix(4000))"
        #expect(done, "\(context)", sourceLocation: sourceLocation)
        // The upstream verified every entry against the signed checkpoint and says so.
        #expect(
            PrometheusText.value(upstreamMetrics, "edge_ledger_collector_entries", ["gateway": origin]) == size,
            sourceLocation: sourceLocation)
        #expect(
            PrometheusText.value(upstreamMetrics, "edge_ledger_collector_lag_entries", ["gateway": origin]) == 0,
            sourceLocation: sourceLocation)
        #expect(
            (PrometheusText.value(
                upstreamMetrics, "edge_ledger_collector_checkpoints_verified_total", ["gateway": origin]) ?? 0) >= 1,
            sourceLocation: sourceLocation)
        #expect(
            (PrometheusText.value(upstreamMetrics, "edge_ledger_witness_cosignatures_total", ["gateway": origin]) ?? 0)
                >= 1, "\(upstreamMetrics)", sourceLocation: sourceLocation)
        // The gateway got the acknowledgement (store and /metrics) and serves the cosignature.
        #expect(
            PrometheusText.value(gatewayMetrics, "edge_ledger_upstream_acked_size", ["upstream": "dc-1"]) == size,
            sourceLocation: sourceLocation)
        #expect(
            try gateway.reader().upstream(named: "dc-1")?.ackedSize == checkpoint.size, sourceLocation: sourceLocation)
        #expect(
            try gateway.reader().upstream(named: "dc-1")?.ackedRoot == checkpoint.root, sourceLocation: sourceLocation)
        #expect(cosigned, "GET /checkpoint has no valid cosignature by the witness", sourceLocation: sourceLocation)
        #expect(anchored, "no anchoring document \(id)", sourceLocation: sourceLocation)
    }

    /// The size of the gateway's served checkpoint when it carries a valid cosignature by `witness`.
    private static func cosignedSize(_ gateway: AgentHarness, _ witness: any NoteVerifier) -> UInt64? {
        guard let (status, body) = try? gateway.get("/checkpoint"), status == 200,
            let note = try? Note(parsing: body), let checkpoint = try? Checkpoint(parsing: note.text),
            let lines = try? NoteSigning.open(note, verifiers: [witness]), !lines.isEmpty
        else { return nil }
        return checkpoint.size
    }

    private static func text(_ response: (Int, [UInt8])?) -> String {
        guard let (status, body) = response, status == 200 else { return "" }
        return String(decoding: body, as: UTF8.self)
    }

    /// Polls `condition` every 200 ms until it holds or ``patience`` runs out; returns whether
    /// it held. Sleeps without blocking a thread: other suites' servers share the pool.
    private func poll(_ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(Self.patience)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return condition()
    }
}
