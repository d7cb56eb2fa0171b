import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerUpstream

/// The upstream serves every collected log as C2SP tlog-tiles under the monitoring prefix, from
/// files (DESIGN decision 16), over real HTTP on loopback, on both store engines.
@Suite("Serving collected logs as tlog-tiles")
struct LogServingTests {
    static let immutable = "public, max-age=31536000, immutable"

    @Test(
        "checkpoint, full and partial tiles and bundles: the gateway's bytes, with their cache headers",
        arguments: UpstreamEngine.allCases)
    func servesWithCacheHeaders(engine: UpstreamEngine) async throws {
        let log = try await ServedLogFixture.make(engine, size: 700)
        let reader = log.gateway.store.reader
        let checkpoint = try #require(try log.gateway.store.latestCheckpoint())
        try await log.serve { port in
            let base = "/logs/\(log.originHash)/"
            let note = try await fetch(port: port, base + "checkpoint")
            #expect(note.status == 200)
            #expect(note.header("cache-control") == "no-cache")
            #expect(note.text == checkpoint.note)
            let cases: [(String, String)] = [
                ("tile/0/000", Self.immutable), ("tile/0/001", Self.immutable), ("tile/0/002.p/188", "no-cache"),
                ("tile/0/000.p/7", "no-cache"), ("tile/1/000.p/2", "no-cache"), ("tile/entries/000", Self.immutable),
                ("tile/entries/002.p/188", "no-cache"), ("tile/entries/001.p/3", "no-cache"),
            ]
            for (path, cache) in cases {
                let id = try TileID(parsingPath: path)
                let expected =
                    id.isEntryBundle
                    ? try reader.entryBundle(index: id.index, width: id.width)
                    : try reader.tileData(level: id.level, index: id.index, width: id.width)
                let answer = try await fetch(port: port, base + path)
                #expect(answer.status == 200, "\(path)")
                #expect(answer.header("cache-control") == cache, "\(path)")
                #expect(answer.body == expected, "\(path)")
                #expect(answer.header("content-encoding") == nil)
            }
        }
        // Full objects were written once and are now read from their files.
        #expect(FileManager.default.fileExists(atPath: log.file("tile/0/001")))
        #expect(FileManager.default.fileExists(atPath: log.file("tile/entries/000")))
        #expect(!FileManager.default.fileExists(atPath: log.file("tile/0/002.p/188")))
        let again = try await log.server.tile(originHash: log.originHash, path: "tile/0/001", gzip: false)
        #expect(again.source == .file)
        #expect(log.metric(LogServingMetrics.Name.reads, ["kind": "tile", "source": "built"]) >= 2)
        #expect(log.metric(LogServingMetrics.Name.reads, ["kind": "tile", "source": "file"]) >= 1)
        #expect(log.metric(LogServingMetrics.Name.reads, ["kind": "checkpoint", "source": "store"]) == 1)
        #expect(log.metric(LogServingMetrics.Name.bytes, ["kind": "tile"]) > 8192)
        await log.store.close()
    }

    @Test(
        "bundles are gzip-encoded when the client accepts it; hash tiles never are",
        arguments: UpstreamEngine.allCases)
    func gzipWhenAsked(engine: UpstreamEngine) async throws {
        let log = try await ServedLogFixture.make(engine, size: 300)
        let reader = log.gateway.store.reader
        try await log.serve { port in
            let base = "/logs/\(log.originHash)/"
            for (path, width) in [("tile/entries/000", 256), ("tile/entries/001.p/44", 44)] {
                let plain = try #require(try reader.entryBundle(index: path.hasSuffix("000") ? 0 : 1, width: width))
                for _ in 0..<2 {  // built, then from its file
                    let zipped = try await fetch(port: port, base + path, headers: ["Accept-Encoding": "gzip, br"])
                    #expect(zipped.status == 200)
                    #expect(zipped.header("content-encoding") == "gzip")
                    #expect(zipped.header("vary") == "Accept-Encoding")
                    #expect(zipped.body.count < plain.count)
                    #expect(Gzip.decompress(zipped.body, limit: 1 << 24) == plain)
                }
                let refused = try await fetch(port: port, base + path, headers: ["Accept-Encoding": "gzip;q=0"])
                #expect(refused.header("content-encoding") == nil)
                #expect(refused.body == plain)
            }
            #expect(FileManager.default.fileExists(atPath: log.file("tile/entries/000.gz")))
            let tile = try await fetch(port: port, base + "tile/0/000", headers: ["Accept-Encoding": "gzip"])
            #expect(tile.header("content-encoding") == nil)
            #expect(tile.body.count == 8192)
        }
        await log.store.close()
    }

    @Test(
        "404 beyond the verified size and for unknown origins; malformed paths 400",
        arguments: UpstreamEngine.allCases)
    func refusals(engine: UpstreamEngine) async throws {
        let log = try await ServedLogFixture.make(engine, size: 700)
        try await log.serve { port in
            let base = "/logs/\(log.originHash)/"
            for path in [
                "tile/0/003", "tile/0/002", "tile/0/002.p/189", "tile/entries/002.p/200", "tile/entries/003",
                "tile/1/000", "tile/1/000.p/3", "tile/2/000.p/1",
            ] {
                let answer = try await fetch(port: port, base + path)
                #expect(answer.status == 404, "\(path): \(answer.text)")
                #expect(answer.header("cache-control") == "no-store")
            }
            for path in [
                "tile/0/00", "tile/0/000.p/0", "tile/0/000.p/256", "tile/9/000", "tile/0/x000/001", "tile/0/0001",
                "tile/entries/000.p/", "tile/0/000/", "tile/data/000", "tile/0/-01",
            ] {
                let answer = try await fetch(port: port, base + path)
                #expect(answer.status == 400, "\(path): \(answer.text)")
            }
            let unknown = CollectedLogServer.originHash("nobody.example/gw")
            #expect(try await fetch(port: port, "/logs/\(unknown)/checkpoint").status == 404)
            #expect(try await fetch(port: port, "/logs/\(unknown)/tile/0/000").status == 404)
            #expect(try await fetch(port: port, "/logs/\(log.originHash.uppercased())/checkpoint").status == 404)
            #expect(try await fetch(port: port, "/logs/abc/checkpoint").status == 404)
            #expect(try await fetch(port: port, "/logs/\(log.originHash)/tile").status == 404)
        }
        await log.store.close()
    }

    @Test("entries staged beyond the verified checkpoint are never served", arguments: UpstreamEngine.allCases)
    func stagedNotServed(engine: UpstreamEngine) async throws {
        let log = try await ServedLogFixture.make(engine, size: 700)
        // The gateway grows to 1000; the collector stages 300 entries without a checkpoint.
        try log.gateway.grow(300)
        let more = try log.gateway.store.reader.encodedEntries(from: 700, to: 1000)
        var batch = CollectorEntryBatch()
        for entry in more { batch.append(entry) }
        try await log.store.stage(
            gateway: log.state.id, stagedSize: 700, entries: batch,
            leafHashes: more.map { OpenSSLHasher.sha256.leafHash($0) }, hasher: OpenSSLHasher.sha256)
        #expect(try await log.store.gatewayState(origin: log.gateway.origin)?.stagedSize == 1000)
        try await log.serve { port in
            let base = "/logs/\(log.originHash)/"
            for path in [
                "tile/0/002", "tile/0/003.p/1", "tile/entries/002", "tile/entries/002.p/189", "tile/1/000.p/3",
            ] {
                #expect(try await fetch(port: port, base + path).status == 404, "\(path)")
            }
            let edge = try await fetch(port: port, base + "tile/0/002.p/188")
            #expect(edge.status == 200)
            #expect(edge.body == (try log.gateway.store.reader.tileData(level: 0, index: 2, width: 188)))
            let note = try await fetch(port: port, base + "checkpoint")
            #expect(note.text.split(separator: "\n")[1] == "700")
        }
        await log.store.close()
    }

    @Test(
        "a tile file damaged on disk is detected, counted and rebuilt, never served",
        arguments: UpstreamEngine.allCases)
    func damagedFileRebuilt(engine: UpstreamEngine) async throws {
        let log = try await ServedLogFixture.make(engine, size: 600)
        let expected = try #require(try log.gateway.store.reader.entryBundle(index: 1, width: 256))
        let first = try await log.server.tile(originHash: log.originHash, path: "tile/entries/001", gzip: false)
        #expect(first.source == .built)
        // One flipped bit in the middle of the file, then a truncated file.
        let path = log.file("tile/entries/001")
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[bytes.count / 2] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: path))
        let second = try await log.server.tile(originHash: log.originHash, path: "tile/entries/001", gzip: false)
        #expect(second.body == expected)
        #expect(second.source == .built)
        #expect(log.metric(LogServingMetrics.Name.damagedFiles) == 1)
        try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: path))
        let third = try await log.server.tile(originHash: log.originHash, path: "tile/entries/001", gzip: false)
        #expect(third.body == expected)
        #expect(log.metric(LogServingMetrics.Name.damagedFiles) == 2)
        let fourth = try await log.server.tile(originHash: log.originHash, path: "tile/entries/001", gzip: false)
        #expect(fourth.source == .file)
        await log.store.close()
    }

    @Test("a store whose entry no longer matches its verified tile is refused (500), not served")
    func damagedStoreRefused() async throws {
        let log = try await ServedLogFixture.make(.sqlite, size: 600)
        let path = try #require(log.store.path)
        // Rewrite bundle 1 with one entry changed (its tiles stay), through a connection of its own.
        var entries = try log.gateway.store.reader.encodedEntries(from: 256, to: 512)
        entries[5][entries[5].count - 2] ^= 0x01
        try RawSQL.execute(path, "UPDATE bundles SET data = ?1 WHERE idx = 1", blob: CollectorBundle.encode(entries))
        await #expect(throws: LogServingError.self) {
            try await log.server.tile(originHash: log.originHash, path: "tile/entries/001", gzip: false)
        }
        #expect(!FileManager.default.fileExists(atPath: log.file("tile/entries/001")))
        let good = try await log.server.tile(originHash: log.originHash, path: "tile/entries/000", gzip: false)
        #expect(good.source == .built)
        await log.store.close()
    }

    @Test("concurrent reads of one missing object build it once", arguments: UpstreamEngine.allCases)
    func concurrentReadsBuildOnce(engine: UpstreamEngine) async throws {
        let log = try await ServedLogFixture.make(engine, size: 2048)
        let server = log.server
        let hash = log.originHash
        let bodies = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<32 {
                group.addTask { try await server.tile(originHash: hash, path: "tile/entries/005", gzip: false).body }
            }
            return try await group.reduce(into: [[UInt8]]()) { $0.append($1) }
        }
        #expect(Set(bodies).count == 1)
        #expect(server.flights.started == 1)
        await log.store.close()
    }

    @Test("the checkpoint carries the mirror's cosignature when a cosigner is given")
    func mirrorCosignature() async throws {
        let key = try PrivateKey.generate(.ed25519)
        let cosigner = try CosignatureV1Signer(name: "mirror.example/m1", privateKey: key)
        let log = try await ServedLogFixture.make(.sqlite, size: 300, cosigner: cosigner)
        let answer = try await log.server.checkpoint(originHash: log.originHash)
        let note = try Note(parsing: String(decoding: answer.body, as: UTF8.self))
        #expect(note.signatures.count == 2)
        let mirror = try CosignatureV1Verifier(verifierKey: cosigner.verifierKey)
        let gateway = NoteKeys.verifier(for: log.gateway.key.publicKey, name: log.gateway.origin)
        #expect(try NoteSigning.open(note, verifiers: [mirror]).count == 1)
        #expect(try NoteSigning.open(note, verifiers: [gateway]).count == 1)
        // Made once per size.
        #expect(try await log.server.checkpoint(originHash: log.originHash).body == answer.body)
        await log.store.close()
    }

    @Test("reads need a token unless anonymous reads are allowed")
    func authentication() async throws {
        let log = try await ServedLogFixture.make(.sqlite, size: 10)
        try await log.serve(anonymous: false) { port in
            let path = "/logs/\(log.originHash)/checkpoint"
            #expect(try await fetch(port: port, path).status == 401)
            #expect(try await fetch(port: port, path, headers: ["Authorization": "Bearer wrong"]).status == 403)
            let ok = try await fetch(port: port, path, headers: ["Authorization": "Bearer \(ServedLogFixture.token)"])
            #expect(ok.status == 200)
        }
        await log.store.close()
    }

    @Test("builds are bounded: one at a time here, the next waits, one more distinct object is refused (503)")
    func boundedBuilds() async throws {
        let flights = BuildFlights(limit: 1, pending: 2)
        let (gate, open) = AsyncStream<Void>.makeStream()
        let slow = Task {
            try await flights.run("a") { () throws(LogServingError) -> [UInt8] in
                for await _ in gate { break }
                return [1]
            }
        }
        while flights.running == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let waiting = Task { try await flights.run("b") { () throws(LogServingError) -> [UInt8] in [2] } }
        while flights.inFlight < 2 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(flights.running == 1)
        await #expect(throws: LogServingError.self) {
            _ = try await flights.run("c") { () throws(LogServingError) -> [UInt8] in [3] }
        }
        open.yield()
        #expect(try await slow.value.bytes == [1])
        #expect(try await waiting.value.bytes == [2])
        #expect(try await flights.run("c") { () throws(LogServingError) -> [UInt8] in [3] }.bytes == [3])
        #expect(flights.running == 0)
    }
}
