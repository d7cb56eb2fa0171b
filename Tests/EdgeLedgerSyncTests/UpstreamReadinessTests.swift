import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSync
import EdgeLedgerTestSupport
import Testing

/// `GET /readyz` on the reference upstream: ready while its store answers, whatever the gateways
/// do; not ready, with the reason, when the store fails or stops answering; ready again after.
@Suite struct UpstreamReadinessTests {
    @Test("ready with an unreachable gateway; 503 naming the store while it fails; ready again after")
    func readinessFollowsTheStore() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let unreachable = try FreePort.find()  // nothing listens there
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let configuration = try UpstreamNodeTests.configuration(
            dir: dir, gateway: gateway, gatewayPort: unreachable, port: 0, anchorOut: dir.file("unused"))
        let node = try UpstreamNode.make(
            configuration: configuration, logger: testLogger("test.node"), onServerRunning: { continuation.yield($0) })
        try await UpstreamMetricsTests.running(node, ports: ports) { port in
            #expect(await UpstreamMetricsTests.get(port: port, "readyz") == (200, "ready\n"))

            // Damage the store under the running node: its reads fail.
            let path = configuration.storage.path
            try RawSQL.execute(path, "ALTER TABLE gateways RENAME TO gateways_away")
            node.readiness.probeOnce()
            let (status, body) = await UpstreamMetricsTests.get(port: port, "readyz")
            #expect(status == 503)
            #expect(body.hasPrefix("not ready\nstore not usable: "), "\(body)")
            #expect(body.contains("gateways"), "the store's error names what failed: \(body)")
            #expect(await UpstreamMetricsTests.get(port: port, "healthz") == (200, "ok\n"))

            try RawSQL.execute(path, "ALTER TABLE gateways_away RENAME TO gateways")
            node.readiness.probeOnce()
            #expect(await UpstreamMetricsTests.get(port: port, "readyz") == (200, "ready\n"))
        }
    }

    @Test("a store that has not answered for three probe intervals is not ready")
    func silenceIsNotReady() throws {
        let dir = try TemporaryFolder()
        let store = try CollectorStore(path: dir.file("upstream.db"), durability: .process)
        let readiness = UpstreamReadiness(store: store, interval: .seconds(2))
        let now = ContinuousClock.now
        #expect(readiness.readiness(at: now).isReady)
        #expect(readiness.readiness(at: now + .seconds(5)).isReady)
        let silent = readiness.readiness(at: now + .seconds(7))
        #expect(!silent.isReady)
        #expect(silent.problems.first?.hasPrefix("store has not answered for 7 s") == true, "\(silent.problems)")
        readiness.probeOnce()
        #expect(readiness.readiness(at: .now).isReady)
    }
}
