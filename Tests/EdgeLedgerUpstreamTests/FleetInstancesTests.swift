import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerUpstream

/// Two upstream instances on one PostgreSQL database: they split the gateways, their witnesses
/// answer with one view, and a stopping instance hands its gateways over.
@Suite("Two instances, one fleet")
struct FleetInstancesTests {
    static func configuration(
        dir: TemporaryFolder, url: String, instance: String, keyFile: String, gateways: [GatewayConfiguration]
    ) -> UpstreamConfiguration {
        UpstreamConfiguration(
            witness: WitnessConfiguration(name: "witness.example/dc-1", keyFile: keyFile),
            http: UpstreamHTTPConfiguration(listen: HostPort(host: "127.0.0.1", port: 0)),
            storage: UpstreamStorageConfiguration(
                url: ConfigSecret(value: url), connections: 4, instanceID: instance, lease: .seconds(3),
                registryInterval: .milliseconds(200)),
            gateways: gateways)
    }

    @Test("the gateways are split, the witness answers with one view on both, a stop hands over at once")
    func twoInstances() async throws {
        let dir = try TemporaryFolder()
        let url = try PostgresCluster.shared().freshDatabase(prefix: "fleet")
        await (try CollectorStore(postgresURL: url, connections: 1, migrate: true)).close()
        let keyFile = dir.file("witness.pem")
        try KeyFile.save(try PrivateKey.generate(.ed25519), to: keyFile)
        let g1 = try GatewayFixture(dir: dir, origin: "plant.example/gw-1", file: "g1.db")
        let g2 = try GatewayFixture(dir: dir, origin: "plant.example/gw-2", file: "g2.db")
        try g1.grow(400)
        try g2.grow(300)
        let s1 = try TestTileServer(gateway: g1)
        let s2 = try TestTileServer(gateway: g2)
        try await withServer(s1.router) { p1 in
            try await withServer(s2.router) { p2 in
                let gateways = [
                    g1.gatewayConfiguration(url: "http://127.0.0.1:\(p1)"),
                    g2.gatewayConfiguration(url: "http://127.0.0.1:\(p2)"),
                ]
                let a = try UpstreamNode.make(
                    configuration: Self.configuration(
                        dir: dir, url: url, instance: "a", keyFile: keyFile, gateways: gateways),
                    logger: testLogger("test.a", level: .critical))
                let b = try UpstreamNode.make(
                    configuration: Self.configuration(
                        dir: dir, url: url, instance: "b", keyFile: keyFile, gateways: gateways),
                    logger: testLogger("test.b", level: .critical))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let runningA = Task { try await a.run() }
                    group.addTask { try await b.run() }
                    let split = try await WitnessPusherTests.eventually(20) {
                        a.supervisor.collecting.count == 1 && b.supervisor.collecting.count == 1
                    }
                    #expect(split, "a: \(a.supervisor.collecting), b: \(b.supervisor.collecting)")
                    #expect(Set(a.supervisor.collecting + b.supervisor.collecting) == [g1.origin, g2.origin])
                    let collected = try await WitnessPusherTests.eventually(20) {
                        let one = try await a.store.gatewayState(origin: g1.origin)?.verifiedSize
                        let two = try await b.store.gatewayState(origin: g2.origin)?.verifiedSize
                        return one == 400 && two == 300
                    }
                    #expect(collected)

                    // One view: what a's witness cosigned, b's witness knows.
                    let note = try #require(try g1.store.latestCheckpoint()).note
                    let first = await SplitViewTests.push(a.witness, note)
                    #expect(first.status == 200, "\(first.body)")
                    let stale = await SplitViewTests.push(b.witness, note)
                    #expect(stale.status == 409, "b sees a's state: \(stale.body)")
                    let next = try g1.grow(100)
                    try await Task.sleep(for: .milliseconds(1500))  // collected up to 500 (bound by collection)
                    let proof = try g1.store.consistencyProof(from: 400, to: 500)
                    let grown = await SplitViewTests.push(b.witness, next.note, oldSize: 400, proof: proof)
                    #expect(grown.status == 200, "\(grown.body)")
                    #expect(try await a.store.witnessState(origin: g1.origin)?.size == 500)

                    // a stops cleanly: its leases are released, b takes everything at once.
                    runningA.cancel()
                    _ = await runningA.result
                    let handedOver = try await WitnessPusherTests.eventually(10) {
                        Set(b.supervisor.collecting) == [g1.origin, g2.origin]
                    }
                    #expect(handedOver, "b: \(b.supervisor.collecting)")
                    try g2.grow(50)
                    #expect(
                        try await WitnessPusherTests.eventually(15) {
                            try await b.store.gatewayState(origin: g2.origin)?.verifiedSize == 350
                        })
                    group.cancelAll()
                    while let _ = try? await group.next() {}
                }
            }
        }
    }
}
