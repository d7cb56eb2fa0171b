import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerUpstream

/// A running node and its registry: enrollment through the admin API without a restart, a
/// gateway collected within seconds of `add`, a disabled one no longer collected.
@Suite("Fleet node: enrollment without restarts")
struct FleetNodeTests {
    static func configuration(dir: TemporaryFolder, engine: UpstreamEngine) async throws -> UpstreamConfiguration {
        var storage = UpstreamStorageConfiguration(
            path: dir.file("state/upstream.db"), durability: .process, instanceID: "node-1",
            registryInterval: .milliseconds(200))
        if engine == .postgres {
            let url = try PostgresCluster.shared().freshDatabase(prefix: "node")
            let store = try CollectorStore(postgresURL: url, connections: 1, migrate: true)
            await store.close()
            storage.url = ConfigSecret(value: url)
            storage.connections = 4
        }
        let keyFile = dir.file("witness.pem")
        try KeyFile.save(try PrivateKey.generate(.ed25519), to: keyFile)
        return UpstreamConfiguration(
            witness: WitnessConfiguration(name: "witness.example/dc-1", keyFile: keyFile),
            http: UpstreamHTTPConfiguration(
                listen: HostPort(host: "127.0.0.1", port: 0),
                tokens: [
                    HTTPTokenConfiguration(name: "ops", credential: .plaintext(ConfigSecret(value: "ops-token"))),
                    HTTPTokenConfiguration(name: "gw", credential: .plaintext(ConfigSecret(value: "gw-token"))),
                ], adminClients: ["ops"]),
            storage: storage, gateways: [])
    }

    static func post(port: Int, _ path: String, token: String?, body: String) async throws -> (Int, String) {
        let client = try PeerHTTPClient(
            baseURL: "http://127.0.0.1:\(port)", token: token, tls: nil, timeout: .seconds(10))
        defer { Task { await client.shutdown() } }
        let response = try await client.post(path, body: Array(body.utf8), contentType: "application/toml")
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    @Test(
        "enroll through the admin API, collected within seconds; disabled, no longer collected; enabled again",
        arguments: UpstreamEngine.allCases)
    func enrollDisableEnable(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(700)
        let server = try TestTileServer(gateway: gateway)
        try await withServer(server.router) { gatewayPort in
            let configuration = try await Self.configuration(dir: dir, engine: engine)
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let node = try UpstreamNode.make(
                configuration: configuration, logger: testLogger("test.node", level: .critical),
                onServerRunning: { continuation.yield($0) })
            let store = node.store
            let entry = "[[gateways]]\n" + gateway.gatewayConfiguration(url: "http://127.0.0.1:\(gatewayPort)").toml
            try await UpstreamMetricsTests.running(node, ports: ports) { port in
                // Only admin clients, never anonymous ones.
                #expect(try await Self.post(port: port, "admin/gateways", token: nil, body: entry).0 == 401)
                #expect(try await Self.post(port: port, "admin/gateways", token: "gw-token", body: entry).0 == 403)
                #expect(
                    try await Self.post(port: port, "admin/gateways", token: "ops-token", body: "origin = 1").0 == 422)
                let added = ContinuousClock.now
                let (status, body) = try await Self.post(port: port, "admin/gateways", token: "ops-token", body: entry)
                #expect(status == 201, "\(body)")
                let again = try await Self.post(port: port, "admin/gateways", token: "ops-token", body: entry)
                #expect(again.0 == 409 && again.1.contains("already enrolled"), "\(again)")

                let collected = try await WitnessPusherTests.eventually(15) {
                    try await store.gatewayState(origin: gateway.origin)?.verifiedSize == 700
                }
                #expect(collected, "a gateway enrolled while running is collected within 15 s")
                let firstCollection = ContinuousClock.now - added
                #expect(firstCollection < .seconds(15))
                #expect(node.supervisor.collecting == [gateway.origin])
                let listed = await UpstreamMetricsTests.get(port: port, "admin/gateways", token: "ops-token")
                #expect(listed.0 == 200 && listed.1.contains("\"collected_by\":\"node-1\""), "\(listed)")
                #expect(await UpstreamMetricsTests.get(port: port, "admin/gateways", token: nil).0 == 401)

                // Disabled: the collector stops and the witness no longer knows the log.
                let path = "admin/gateways/disable?origin=\(gateway.origin)"
                #expect(try await Self.post(port: port, path, token: "ops-token", body: "").0 == 200)
                let stopped = try await WitnessPusherTests.eventually(10) { node.supervisor.collecting.isEmpty }
                #expect(stopped)
                try gateway.grow(300)
                try await Task.sleep(for: .seconds(2))
                #expect(try await store.gatewayState(origin: gateway.origin)?.verifiedSize == 700)
                #expect(node.witness.origins.isEmpty)

                let enable = "admin/gateways/enable?origin=\(gateway.origin)"
                #expect(try await Self.post(port: port, enable, token: "ops-token", body: "").0 == 200)
                let resumed = try await WitnessPusherTests.eventually(15) {
                    try await store.gatewayState(origin: gateway.origin)?.verifiedSize == 1000
                }
                #expect(resumed)
                let unknown = try await Self.post(
                    port: port, "admin/gateways/disable?origin=nobody.example", token: "ops-token", body: "")
                #expect(unknown.0 == 404)
            }
        }
    }
}
