import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

@Suite("The reference upstream node")
struct UpstreamNodeTests {
    /// An upstream configuration for `gateway` served at `gatewayPort`, listening on `port`.
    static func configuration(
        dir: TemporaryFolder, gateway: GatewayFixture, gatewayPort: Int, port: Int, anchorOut: String
    ) async throws -> UpstreamConfiguration {
        let keyFile = dir.file("witness.pem")
        if !FileManager.default.fileExists(atPath: keyFile) {
            try KeyFile.save(try PrivateKey.generate(.ed25519), to: keyFile)
        }
        return UpstreamConfiguration(
            witness: WitnessConfiguration(name: "witness.example/dc-1", keyFile: keyFile),
            http: UpstreamHTTPConfiguration(listen: HostPort(host: "127.0.0.1", port: UInt16(port))),
            storage: UpstreamStorageConfiguration(path: dir.file("state/upstream.db"), durability: .process),
            gateways: [gateway.gatewayConfiguration(url: "http://127.0.0.1:\(gatewayPort)")],
            anchor: await AnchorConfiguration(
                command: [try AnchorTests.script(in: dir), anchorOut], timeout: .seconds(10)))
    }

    @Test("witness, collector and anchoring run as one service group and stop cleanly")
    func runsAndStops() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(1500)
        let server = try TestTileServer(gateway: gateway)
        let out = dir.file("anchored.jsonl")
        try await withServer(server.router) { gatewayPort in
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let configuration = try await Self.configuration(
                dir: dir, gateway: gateway, gatewayPort: gatewayPort, port: 0, anchorOut: out)
            let node = try UpstreamNode.make(
                configuration: configuration, logger: testLogger("test.node"),
                onServerRunning: { continuation.yield($0) })
            let key = try UpstreamNode.witnessVerifierKey(configuration: configuration)
            #expect(key == node.witness.verifierKey)
            #expect(key.type == 0x04)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await node.run() }
                var iterator = ports.makeAsyncIterator()
                let witnessPort = try #require(await iterator.next())
                // The gateway pushes its checkpoint to the node's witness.
                let pusher = try WitnessPusher(
                    store: gateway.store,
                    upstreams: [
                        UpstreamPeerConfiguration(
                            name: "dc-1", url: "http://127.0.0.1:\(witnessPort)", verifierKey: key.string)
                    ], logger: testLogger("test.push"))
                #expect(try await pushUntilCosigned(pusher) == ["dc-1": "ok"])
                await pusher.shutdown()
                // The collector pulls within its interval, and the anchorer runs the command.
                let anchored = try await WitnessPusherTests.eventually(20) {
                    (try? String(contentsOfFile: out, encoding: .utf8))?.contains("#1500\"") == true
                }
                #expect(anchored)
                // The acknowledgement follows the verification (the anchoring may finish first).
                #expect(
                    try await WitnessPusherTests.eventually(20) {
                        server.acks.withLock { $0.map(\.size) }.contains(1500)
                    })
                group.cancelAll()
                while let _ = try? await group.next() {}
            }
        }
        #expect(server.acks.withLock { $0.map(\.size) }.contains(1500))
        // The store is closed: it can be opened again (the writer lock was released).
        let reopened = try CollectorStore(path: dir.file("state/upstream.db"), durability: .process)
        await #expect(try reopened.witnessState(origin: gateway.origin)?.size == 1500)
        await #expect(try reopened.gatewayState(origin: gateway.origin)?.verifiedSize == 1500)
    }

    /// Whether `edge-ledger-upstream` was built.
    static let cliAvailable: Bool = {
        guard let exe = try? BuiltProducts.executable("edge-ledger-upstream"),
            let child = try? ChildProcess(executable: exe, arguments: ["run", "--help"])
        else { return false }
        return child.wait(timeout: 30) == 0
    }()

    @Test(
        "edge-ledger-upstream serves, collects and exits 0 on SIGTERM",
        .enabled(if: cliAvailable, "needs the edge-ledger executable with the upstream subcommand"))
    func cliStopsOnSIGTERM() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(300)
        let server = try TestTileServer(gateway: gateway)
        let out = dir.file("anchored.jsonl")
        try await withServer(server.router) { gatewayPort in
            let port = try FreePort.find()
            let configuration = try await Self.configuration(
                dir: dir, gateway: gateway, gatewayPort: gatewayPort, port: port, anchorOut: out)
            let toml = """
                [witness]
                name = "\(configuration.witness.name)"
                key_file = "witness.pem"
                [http]
                listen = "127.0.0.1:\(port)"
                [storage]
                path = "state/upstream.db"
                durability = "process"
                [[gateways]]
                origin = "\(gateway.origin)"
                url = "http://127.0.0.1:\(gatewayPort)"
                verifier_keys = ["\(gateway.verifierKey)"]
                token = "collector-token"
                pull_interval = "1s"
                [anchor]
                command = ["\(configuration.anchor.command[0])", "\(out)"]
                """
            try toml.write(toFile: dir.file("upstream.toml"), atomically: true, encoding: .utf8)
            let child = try ChildProcess(
                executable: try BuiltProducts.executable("edge-ledger-upstream"),
                arguments: ["run", "--config", dir.file("upstream.toml")], outputFile: dir.file("upstream.log"))
            try FreePort.waitUntilListening(port: port, timeout: 30)
            let anchored = try await WitnessPusherTests.eventually(30) {
                (try? String(contentsOfFile: out, encoding: .utf8))?.contains("#300\"") == true
            }
            #expect(anchored)
            // The acknowledgement (challenge, then answer) may follow the anchoring.
            let acknowledged = try await WitnessPusherTests.eventually(30) { !server.acks.withLock { $0.isEmpty } }
            #expect(acknowledged)
            child.signal(SIGTERM)
            #expect(child.wait(timeout: 30) == 0)
        }
        #expect(server.acks.withLock { $0.map(\.size) } == [300])
    }
}
