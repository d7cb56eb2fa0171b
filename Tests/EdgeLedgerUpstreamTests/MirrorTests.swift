import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

@Suite("Mirror (C2SP tlog-mirror add-checkpoint, add-entries) over HTTP")
struct MirrorTests {
    /// Checks a 200 answer: one cosignature line by the mirror over `note`'s checkpoint.
    static func expectCosigned(_ response: PeerHTTPResponse, note: String, _ m: MirrorFixture) throws {
        #expect(response.status == 200, "\(response.status): \(response.text)")
        let lines = try response.text.split(separator: "\n").map { try NoteSignature(parsingLine: $0) }
        let opened = try NoteSigning.open(
            Note(text: try Note(parsing: note).text, signatures: lines), verifiers: [m.verifier])
        #expect(opened.count == 1 && opened[0].name == "mirror.example/m1")
    }

    /// The mirror holds exactly the gateway's first `size` entries, verified at `size`.
    static func expectHolds(
        _ gateway: GatewayFixture, _ m: MirrorFixture, size: UInt64, verified: UInt64? = nil
    )
        async throws
    {
        let state = try #require(try await m.store.gatewayState(origin: gateway.origin))
        #expect(state.stagedSize == size)
        #expect(state.verifiedSize == verified ?? size)
        let ours = try await m.store.entries(gateway: state.id, from: 0, to: size + 10)
        #expect(ours == (try gateway.store.reader.encodedEntries(from: 0, to: size)))
    }

    @Test(
        "a gateway pushes its log: pending checkpoint, packages, commit, cosignature; then more",
        arguments: UpstreamEngine.allCases)
    func endToEnd(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let first = try gateway.grow(1000)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        try await withServer(m.router) { port in
            let client = MirrorClient(port: port)
            // Knowing nothing of the mirror: upload_end 0 tells the client where it stands.
            let probe = try await client.post(
                "mirror/add-entries", MirrorUploadHeader(origin: gateway.origin, uploadStart: 0, uploadEnd: 0).encoded)
            #expect(probe.status == 409 && probe.contentType == MirrorInfo.contentType)
            #expect(probe.mirrorInfo == MirrorInfo(treeSize: 0, nextEntry: 0))

            let r1 = try await client.addCheckpoint(gateway, old: 0, note: first.note, size: 1000)
            #expect(r1.status == 200 && r1.body.isEmpty, "\(r1.text)")
            try Self.expectCosigned(
                try await client.addEntries(gateway, start: 0, end: 1000, gzip: true), note: first.note, m)
            try await Self.expectHolds(gateway, m, size: 1000)

            let second = try gateway.grow(300)
            #expect(try await client.addCheckpoint(gateway, old: 1000, note: second.note, size: 1300).status == 200)
            try Self.expectCosigned(try await client.addEntries(gateway, start: 1000, end: 1300), note: second.note, m)
            try await Self.expectHolds(gateway, m, size: 1300)
            // The verified checkpoint is the gateway's, queued like a pull's.
            let state = try #require(try await m.store.gatewayState(origin: gateway.origin))
            #expect(state.verifiedRoot == second.root)
            #expect(try await m.store.checkpoints(gateway: state.id).map(\.size).contains(1300))
        }
    }

    @Test(
        "a body cut mid-package stores the whole packages before the cut (202); the client resumes there",
        arguments: UpstreamEngine.allCases)
    func cutMidPackageResumes(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let checkpoint = try gateway.grow(1100)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        try await withServer(m.router) { port in
            let client = MirrorClient(port: port)
            #expect(try await client.addCheckpoint(gateway, old: 0, note: checkpoint.note, size: 1100).status == 200)
            // Two packages, then half of the third.
            let full = MirrorClient.body(gateway, start: 0, end: 1100)
            let two = MirrorClient.body(gateway, start: 0, end: 1100, packages: 2)
            let cut = Array(full.prefix(two.count + (full.count - two.count) / 5))
            let r = try await client.post("mirror/add-entries", cut)
            #expect(r.status == 202, "\(r.text)")
            #expect(r.mirrorInfo == MirrorInfo(treeSize: 1100, nextEntry: 512))
            try await Self.expectHolds(gateway, m, size: 512, verified: 0)
            // Cut inside the first package: nothing stored, 400.
            let header = MirrorUploadHeader(origin: gateway.origin, uploadStart: 512, uploadEnd: 1100)
            let again = MirrorClient.body(gateway, start: 512, end: 1100)
            #expect(
                try await client.post("mirror/add-entries", Array(again.prefix(header.encoded.count + 40))).status
                    == 400)
            // Resume from the advertised next entry, sending only what the mirror lacks.
            try Self.expectCosigned(
                try await client.addEntries(gateway, start: 512, end: 1100), note: checkpoint.note, m)
            try await Self.expectHolds(gateway, m, size: 1100)
            // A resend of held packages is verified and skipped (no duplicate).
            try Self.expectCosigned(try await client.addEntries(gateway, start: 0, end: 1100), note: checkpoint.note, m)
            try await Self.expectHolds(gateway, m, size: 1100)
        }
    }

    @Test("a package whose proof does not verify: 422, nothing of it stored", arguments: UpstreamEngine.allCases)
    func wrongProofStoresNothing(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let checkpoint = try gateway.grow(700)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        try await withServer(m.router) { port in
            let client = MirrorClient(port: port)
            #expect(try await client.addCheckpoint(gateway, old: 0, note: checkpoint.note, size: 700).status == 200)
            let one = MirrorClient.body(gateway, start: 0, end: 700, packages: 1).count
            // Flip one byte of the second package's last proof hash, then of an entry.
            let r = try await client.addEntries(gateway, start: 0, end: 700) { body in
                let two = MirrorClient.body(gateway, start: 0, end: 700, packages: 2).count
                body[two - 1] ^= 1
            }
            #expect(r.status == 422, "\(r.text)")
            try await Self.expectHolds(gateway, m, size: 256, verified: 0)
            let r2 = try await client.addEntries(gateway, start: 256, end: 700) { body in
                let header = MirrorUploadHeader(origin: gateway.origin, uploadStart: 256, uploadEnd: 700)
                body[header.encoded.count + 10] ^= 1
            }
            #expect(r2.status == 422, "\(r2.text)")
            #expect(one > 0)
            try await Self.expectHolds(gateway, m, size: 256, verified: 0)
        }
    }

    @Test(
        "credentials of another origin (403), none (401), an unknown origin (404)", arguments: UpstreamEngine.allCases)
    func authentication(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let checkpoint = try gateway.grow(10)
        let stranger = try GatewayFixture(dir: dir, origin: "test.example/unknown", file: "unknown.db")
        try stranger.grow(3)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        try await withServer(m.router) { port in
            let other = MirrorClient(port: port, token: "token-2")
            let anonymous = MirrorClient(port: port, token: nil)
            let forged = MirrorClient(port: port, token: "token-3")
            let statuses = [
                try await other.addCheckpoint(gateway, old: 0, note: checkpoint.note, size: 10).status,
                try await other.addEntries(gateway, start: 0, end: 10).status,
                try await anonymous.addCheckpoint(gateway, old: 0, note: checkpoint.note, size: 10).status,
                try await anonymous.addEntries(gateway, start: 0, end: 10).status,
                try await forged.addEntries(gateway, start: 0, end: 10).status,
                try await MirrorClient(port: port).addEntries(stranger, start: 0, end: 3).status,
            ]
            #expect(statuses == [403, 403, 401, 401, 403, 404])
        }
        #expect(try await m.store.mirrorCheckpoints(origin: gateway.origin).isEmpty)
        #expect(try await m.store.gatewayState(origin: gateway.origin)?.stagedSize ?? 0 == 0)
    }

    @Test("a replayed old upload changes nothing (409 with the current state)", arguments: UpstreamEngine.allCases)
    func replayOfOldUpload(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let first = try gateway.grow(300)
        let second = try gateway.grow(300)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        try await withServer(m.router) { port in
            let client = MirrorClient(port: port)
            #expect(try await client.addCheckpoint(gateway, old: 0, note: first.note, size: 300).status == 200)
            let old = MirrorClient.body(gateway, start: 0, end: 300)
            #expect(try await client.post("mirror/add-entries", old).status == 200)
            #expect(try await client.addCheckpoint(gateway, old: 300, note: second.note, size: 600).status == 200)
            #expect(try await client.addEntries(gateway, start: 300, end: 600).status == 200)
            // The same old request again, and the old checkpoint again.
            let replay = try await client.post("mirror/add-entries", old)
            #expect(replay.status == 409)
            #expect(replay.mirrorInfo == MirrorInfo(treeSize: 600, nextEntry: 600))
            let stale = try await client.addCheckpoint(gateway, old: 0, note: first.note, size: 300)
            #expect(stale.status == 409 && stale.text == "600\n")
        }
        try await Self.expectHolds(gateway, m, size: 600)
    }

    @Test("a pending checkpoint more than max_growth beyond the mirror's size is refused (422), nothing recorded")
    func absurdGrowthRefused() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let small = try gateway.grow(100)
        let large = try gateway.grow(300)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: .sqlite, maxGrowth: 200)
        try await withServer(m.router) { port in
            let client = MirrorClient(port: port)
            let r = try await client.addCheckpoint(gateway, old: 0, note: large.note, size: 400)
            #expect(r.status == 422 && r.text.contains("max_growth"), "\(r.text)")
            #expect(try await client.addCheckpoint(gateway, old: 0, note: small.note, size: 100).status == 200)
            #expect(try await client.addCheckpoint(gateway, old: 100, note: large.note, size: 400).status == 422)
        }
        #expect(try await m.store.mirrorCheckpoints(origin: gateway.origin).map(\.size) == [100])
    }
}
