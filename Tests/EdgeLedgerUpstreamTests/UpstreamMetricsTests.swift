import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Prometheus
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

/// The reference upstream's `<prefix>/metrics`: what it counts, and who may read it.
@Suite("The reference upstream's metrics")
struct UpstreamMetricsTests {
    /// GETs `path` from the node's listener; status 0 and an empty body when nothing answers.
    static func get(port: Int, _ path: String, token: String? = nil) async -> (Int, String) {
        guard
            let client = try? PeerHTTPClient(
                baseURL: "http://127.0.0.1:\(port)", token: token, tls: nil, timeout: .seconds(10))
        else { return (0, "") }
        let response = try? await client.get(path, limit: 1 << 20)
        await client.shutdown()
        guard let response else { return (0, "") }
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    /// Runs `node` while `body` runs with its bound port, then stops it.
    static func running(
        _ node: UpstreamNode, ports: AsyncStream<Int>, _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await node.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            do {
                try await body(port)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
            while let _ = try? await group.next() {}
        }
    }

    @Test("count collected entries, verified checkpoints, cosignatures and anchors")
    func countsTheWork() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let checkpoint = try gateway.grow(1500)
        let server = try TestTileServer(gateway: gateway)
        let out = dir.file("anchored.jsonl")
        try await withServer(server.router) { gatewayPort in
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            var configuration = try await UpstreamNodeTests.configuration(
                dir: dir, gateway: gateway, gatewayPort: gatewayPort, port: 0, anchorOut: out)
            configuration.metrics = MetricsConfiguration(enabled: true, allowAnonymous: true)
            let node = try UpstreamNode.make(
                configuration: configuration, logger: testLogger("test.node"),
                onServerRunning: { continuation.yield($0) })
            try await Self.running(node, ports: ports) { port in
                let pusher = try WitnessPusher(
                    store: gateway.store,
                    upstreams: [
                        UpstreamPeerConfiguration(
                            name: "dc-1", url: "http://127.0.0.1:\(port)", verifierKey: node.witness.verifierKey.string)
                    ], logger: testLogger("test.push"))
                #expect(try await pushUntilCosigned(pusher) == ["dc-1": "ok"])
                await pusher.shutdown()

                let labels = ["gateway": gateway.origin]
                var text = ""
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline {
                    text = await Self.get(port: port, "metrics").1
                    if PrometheusText.value(text, UpstreamMetrics.Name.anchored) == 1
                        && PrometheusText.value(text, UpstreamMetrics.Name.collectedEntries, labels) == 1500
                    {
                        break
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(PrometheusText.value(text, UpstreamMetrics.Name.collectedEntries, labels) == 1500, "\(text)")
                #expect(PrometheusText.value(text, UpstreamMetrics.Name.fetchedEntries, labels) == 1500)
                #expect(PrometheusText.value(text, UpstreamMetrics.Name.verifiedCheckpoints, labels) == 1)
                #expect(PrometheusText.value(text, UpstreamMetrics.Name.gatewaySize, labels) == Double(checkpoint.size))
                #expect(PrometheusText.value(text, UpstreamMetrics.Name.lag, labels) == 0)
                #expect(PrometheusText.value(text, UpstreamMetrics.Name.ackedSize, labels) == 1500)
                #expect(PrometheusText.value(text, UpstreamMetrics.Name.cosignatures, labels) == 1)
                #expect(PrometheusText.value(text, UpstreamMetrics.Name.witnessRequests, ["outcome": "cosigned"]) == 1)
                #expect(PrometheusText.value(text, UpstreamMetrics.Name.witnessRequests, ["outcome": "conflict"]) == 0)
                #expect(PrometheusText.value(text, UpstreamMetrics.Name.anchored) == 1)
                #expect(PrometheusText.value(text, UpstreamMetrics.Name.anchorFailures) == 0)
                for reason in UpstreamMetrics.PullFailure.allCases {
                    let failures = PrometheusText.value(
                        text, UpstreamMetrics.Name.pullFailures, ["gateway": gateway.origin, "reason": reason.rawValue])
                    #expect(failures == 0, "\(reason)")
                }
                #expect(await Self.get(port: port, "healthz") == (200, "ok\n"))
            }
        }
    }

    @Test("count pull failures, and need a token unless metrics.allow_anonymous")
    func countsFailuresBehindAToken() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let unreachable = try FreePort.find()  // nothing listens there
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var configuration = try await UpstreamNodeTests.configuration(
            dir: dir, gateway: gateway, gatewayPort: unreachable, port: 0, anchorOut: dir.file("unused"))
        configuration.http.tokens = [
            HTTPTokenConfiguration(name: "prometheus", credential: .plaintext(ConfigSecret(value: "scrape-token")))
        ]
        let node = try UpstreamNode.make(
            configuration: configuration, logger: testLogger("test.node"), onServerRunning: { continuation.yield($0) })
        try await Self.running(node, ports: ports) { port in
            #expect(await Self.get(port: port, "metrics").0 == 401)
            #expect(await Self.get(port: port, "metrics", token: "wrong").0 == 403)
            let labels = ["gateway": gateway.origin, "reason": "unreachable"]
            var text = ""
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let (status, body) = await Self.get(port: port, "metrics", token: "scrape-token")
                #expect(status == 200)
                text = body
                if (PrometheusText.value(text, UpstreamMetrics.Name.pullFailures, labels) ?? 0) >= 1 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect((PrometheusText.value(text, UpstreamMetrics.Name.pullFailures, labels) ?? 0) >= 1, "\(text)")
            #expect(PrometheusText.value(text, UpstreamMetrics.Name.collectedEntries, ["gateway": gateway.origin]) == 0)
        }
    }

    @Test("count completed and failed anchoring attempts")
    func countsAnchoring() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let store = try await AnchorTests.storeWithOneJob(dir: dir, gateway: gateway)
        let registry = PrometheusCollectorRegistry()
        let metrics = UpstreamMetrics(
            gateways: [gateway.origin], witnessOutcomes: [], factory: PrometheusMetricsFactory(registry: registry))
        func scrape() -> String {
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return String(decoding: buffer, as: UTF8.self)
        }
        let retry = BackoffConfiguration(initial: .milliseconds(10), max: .milliseconds(10))
        let failing = Anchorer(
            configuration: AnchorConfiguration(
                command: ["/bin/sh", "-c", "cat >/dev/null; exit 4"], timeout: .seconds(10), retry: retry),
            store: store, logger: testLogger("test.anchor", level: .critical), metrics: metrics)
        #expect(await failing.runDueJobs() == 0)
        #expect(PrometheusText.value(scrape(), UpstreamMetrics.Name.anchorFailures) == 1)
        #expect(PrometheusText.value(scrape(), UpstreamMetrics.Name.anchored) == 0)

        let working = Anchorer(
            configuration: AnchorConfiguration(
                command: ["/bin/sh", "-c", "cat >/dev/null"], timeout: .seconds(10), retry: retry),
            store: store, logger: testLogger("test.anchor"), metrics: metrics)
        try await Task.sleep(for: .milliseconds(100))
        #expect(await working.runDueJobs() == 1)
        #expect(PrometheusText.value(scrape(), UpstreamMetrics.Name.anchorFailures) == 1)
        #expect(PrometheusText.value(scrape(), UpstreamMetrics.Name.anchored) == 1)
    }
}
