import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import EdgeLedgerUpstream
import Foundation
import Testing

/// Issue 14 end to end, with real processes only: a gateway without an API (behind NAT) pushes
/// its log to `edge-ledger-upstream`'s mirror; the upstream is killed mid-way and comes back.
@Suite(.serialized) struct PushEndToEndTests {
    @Test func gatewayBehindNATPushesAndCatchesUpAfterAnOutage() async throws {
        let broker = try MosquittoBroker()
        let upstream = try UpstreamHarness()
        let gateway = try AgentHarness(broker: broker, http: false, extraConfig: upstream.gatewayPushEntry)
        try upstream.configure(gateway: gateway, push: true)
        defer {
            upstream.stop(signal: SIGKILL)
            gateway.stop(signal: SIGKILL)
        }
        let (printed, output) = try upstream.runOnce(["--config", upstream.configPath, "--print-mirror-key"])
        #expect(printed == 0 && output.contains(upstream.mirrorKey), "\(output)")
        try gateway.start()
        try upstream.start()

        try Readings.publish(to: broker, range: 0..<300)
        try await expectAcknowledged(gateway, upstream, size: 300)
        #expect(upstream.stop(signal: SIGKILL) == 128 + SIGKILL)
        try Readings.publish(to: broker, range: 300..<800)
        try await expectAcknowledged(gateway, upstream, size: 800, restart: true)
        #expect(upstream.log.contains("mirror: committed and cosigned size 800"), "\(upstream.log.suffix(3000))")
        #expect(upstream.stop() == 0, "SIGTERM must exit 0\n\(upstream.log)")
        #expect(gateway.stop() == 0, "SIGTERM must exit 0\n\(gateway.log)")

        let store = try upstream.openStore()
        let state = try #require(try await store.gatewayState(origin: gateway.origin))
        #expect(state.verifiedSize == 800 && state.stagedSize == 800)
        let held = try await store.entries(gateway: state.id, from: 0, to: 900)
        let original = try gateway.reader().entries(from: 0, to: 800).map { $0.encode() }
        #expect(held == original, "the upstream holds exactly the gateway's entries, in order, once")
        #expect(try await store.forkEvidence(origin: gateway.origin).isEmpty)
    }

    /// The gateway's `/metrics` say what the mirror acknowledged, as they do for a pull's
    /// acknowledgement (scripts/faults/push-upload.sh found the mirror's cosignature recorded in the
    /// store while `edge_ledger_upstream_acked_size` stayed 0 and the lag grew with every seal).
    @Test func mirrorAcknowledgementShowsInTheGatewayMetrics() async throws {
        let broker = try MosquittoBroker()
        let upstream = try UpstreamHarness()
        let gateway = try AgentHarness(broker: broker, http: true, extraConfig: upstream.gatewayPushEntry)
        try upstream.configure(gateway: gateway, push: true)
        defer {
            upstream.stop(signal: SIGKILL)
            gateway.stop(signal: SIGKILL)
        }
        try gateway.start()
        try upstream.start()
        try Readings.publish(to: broker, range: 0..<200)
        try await expectAcknowledged(gateway, upstream, size: 200)
        var text = ""
        let shown = await poll {
            text = String(decoding: (try? gateway.getBytes("/metrics").1) ?? [], as: UTF8.self)
            return PrometheusText.value(text, "edge_ledger_upstream_acked_size", ["upstream": "dc-1"]) == 200
        }
        #expect(shown, "\(text)")
        #expect(PrometheusText.value(text, "edge_ledger_upstream_lag_entries", ["upstream": "dc-1"]) == 0)
        #expect(gateway.stop() == 0, "SIGTERM must exit 0\n\(gateway.log)")
    }

    /// Waits until the gateway sealed `size` and recorded the mirror's acknowledgement of it
    /// (starting the upstream first with `restart`).
    private func expectAcknowledged(
        _ gateway: AgentHarness, _ upstream: UpstreamHarness, size: UInt64, restart: Bool = false
    ) async throws {
        let sealed = await poll { ((try? gateway.reader().latestCheckpoint()) ?? nil)?.size == size }
        #expect(sealed, "\(gateway.log.suffix(3000))")
        if restart { try upstream.start() }
        let acknowledged = await poll {
            ((try? gateway.reader().upstream(named: "dc-1")) ?? nil)?.ackedSize == size
        }
        let logs = "upstream log:\n\(upstream.log.suffix(4000))\ngateway log:\n\(gateway.log.suffix(4000))"
        #expect(acknowledged, "not acknowledged at \(size)\n\(logs)")
    }

    private func poll(_ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(UpstreamEndToEndTests.patience)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return condition()
    }
}
