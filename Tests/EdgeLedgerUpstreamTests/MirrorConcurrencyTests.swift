import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

@Suite("Mirror: concurrent uploads and unverified held entries")
struct MirrorConcurrencyTests {
    @Test("two uploads of the same entries at once store each entry once", arguments: UpstreamEngine.allCases)
    func concurrentUploads(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let checkpoint = try gateway.grow(3000)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        try await withServer(m.router) { port in
            let client = MirrorClient(port: port)
            #expect(try await client.addCheckpoint(gateway, old: 0, note: checkpoint.note, size: 3000).status == 200)
            let body = MirrorClient.body(gateway, start: 0, end: 3000)
            async let first = client.post("mirror/add-entries", body)
            async let second = client.post("mirror/add-entries", body, gzip: true)
            let statuses = [try await first.status, try await second.status]
            #expect(statuses.allSatisfy { [200, 202, 409].contains($0) }, "\(statuses)")
            // Whatever the interleaving, a last request completes the upload.
            #expect(try await client.addEntries(gateway, start: 0, end: 3000).status == 200)
        }
        try await MirrorTests.expectHolds(gateway, m, size: 3000)
    }

    @Test(
        "held entries that are not the log's (staged, unverified) are discarded and uploaded again",
        arguments: UpstreamEngine.allCases)
    func unverifiedHeldEntriesAreReplaced(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let checkpoint = try gateway.grow(600)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        let hasher = OpenSSLHasher.sha256
        // 300 entries staged as if pulled, not the gateway's.
        func stageBogus() async throws {
            let state = try await m.store.registerGateway(origin: gateway.origin, hash: .sha256)
            var batch = CollectorEntryBatch()
            var leaves: [Hash32] = []
            for i in 0..<300 {
                let entry = Array("bogus-\(i)".utf8)
                batch.append(entry)
                leaves.append(hasher.leafHash(entry))
            }
            try await m.store.stage(
                gateway: state.id, stagedSize: state.stagedSize, entries: batch, leafHashes: leaves, hasher: hasher)
        }
        try await stageBogus()
        try await withServer(m.router) { port in
            let client = MirrorClient(port: port)
            #expect(try await client.addCheckpoint(gateway, old: 0, note: checkpoint.note, size: 600).status == 200)
            // A package proven against the signed checkpoint meets a differing held entry.
            let r = try await client.addEntries(gateway, start: 0, end: 600)
            #expect(r.status == 409 && r.mirrorInfo == MirrorInfo(treeSize: 600, nextEntry: 0), "\(r.text)")
            #expect(try await m.store.gatewayState(origin: gateway.origin)?.stagedSize == 0)
            #expect(try await client.addEntries(gateway, start: 0, end: 600).status == 200)
        }
        try await MirrorTests.expectHolds(gateway, m, size: 600)
    }
}
