import EdgeLedgerTestSupport
import Prometheus
import Testing

@testable import EdgeLedgerGateway

/// The agent's upstream gauges: alerts on the lag must see a growing log even while an upstream
/// acknowledges nothing.
@Suite("The agent's metrics")
struct AgentMetricsTests {
    static func scrape(_ registry: PrometheusCollectorRegistry) -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    @Test func upstreamLagFollowsTheSealedSizeWithoutAcknowledgements() throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = AgentMetrics(upstreams: ["dc-1", "dc-2"], factory: PrometheusMetricsFactory(registry: registry))
        // At start the agent seeds each upstream's acknowledged size from the store.
        metrics.recordUpstream("dc-1", ackedSize: 0, sealedSize: 0)
        metrics.recordUpstream("dc-2", ackedSize: 0, sealedSize: 0)
        // The log grows; nobody acknowledges.
        metrics.recordSizes(treeSize: 1_200, sealedSize: 1_127)
        var text = Self.scrape(registry)
        #expect(PrometheusText.value(text, "edge_ledger_upstream_lag_entries", ["upstream": "dc-1"]) == 1_127)
        #expect(PrometheusText.value(text, "edge_ledger_upstream_lag_entries", ["upstream": "dc-2"]) == 1_127)
        // dc-1 acknowledges 1,000; the log grows again: its lag follows both.
        metrics.recordUpstream("dc-1", ackedSize: 1_000, sealedSize: 1_127)
        metrics.recordSizes(treeSize: 1_500, sealedSize: 1_500)
        text = Self.scrape(registry)
        #expect(PrometheusText.value(text, "edge_ledger_upstream_lag_entries", ["upstream": "dc-1"]) == 500)
        #expect(PrometheusText.value(text, "edge_ledger_upstream_acked_size", ["upstream": "dc-1"]) == 1_000)
        #expect(PrometheusText.value(text, "edge_ledger_upstream_lag_entries", ["upstream": "dc-2"]) == 1_500)
    }
}
