import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerUpstream

/// The node wires the monitoring prefix on its listener: what it collects is readable there, and
/// the full objects land in `storage.tiles_dir`'s default beside the SQLite file.
@Suite("The node serves what it collects")
struct UpstreamNodeServingTests {
    @Test("the node's listener serves the collected log under http.monitoring_prefix, files beside the store")
    func nodeServesCollectedLog() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(600)
        let server = try TestTileServer(gateway: gateway)
        let hash = CollectedLogServer.originHash(gateway.origin)
        try await withServer(server.router) { gatewayPort in
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            var configuration = try await UpstreamNodeTests.configuration(
                dir: dir, gateway: gateway, gatewayPort: gatewayPort, port: 0, anchorOut: dir.file("anchored"))
            configuration.http.monitoringPrefix = "/mirror"
            configuration.http.allowAnonymousRead = true
            let node = try UpstreamNode.make(
                configuration: configuration, logger: testLogger("test.node", level: .critical),
                onServerRunning: { continuation.yield($0) })
            #expect(node.logs.directory == dir.file("state/tiles"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await node.run() }
                var iterator = ports.makeAsyncIterator()
                let port = try #require(await iterator.next())
                let collected = try await WitnessPusherTests.eventually(30) {
                    try await node.store.gatewayState(origin: gateway.origin)?.verifiedSize == 600
                }
                #expect(collected)
                let base = "/mirror/\(hash)/"
                let note = try await fetch(port: port, base + "checkpoint")
                #expect(note.status == 200)
                #expect(note.text == (try gateway.store.latestCheckpoint())?.note)
                let bundle = try await fetch(port: port, base + "tile/entries/001")
                #expect(bundle.status == 200)
                #expect(bundle.header("cache-control") == "public, max-age=31536000, immutable")
                #expect(bundle.body == (try gateway.store.reader.entryBundle(index: 1, width: 256)))
                // HEAD, as caches and monitors ask before a GET: the same status and headers, no body.
                let head = try await fetch(port: port, base + "tile/entries/001", head: true)
                #expect(head.status == 200)
                #expect(head.header("cache-control") == "public, max-age=31536000, immutable")
                #expect(head.header("content-length") == "\(bundle.body.count)")
                #expect(head.body.isEmpty)
                #expect(try await fetch(port: port, base + "checkpoint", head: true).status == 200)
                #expect(try await fetch(port: port, "/logs/\(hash)/checkpoint").status == 404)
                group.cancelAll()
                while let _ = try? await group.next() {}
            }
        }
        #expect(FileManager.default.fileExists(atPath: dir.file("state/tiles/\(hash)/tile/entries/001")))
    }
}
