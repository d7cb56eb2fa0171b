import EdgeLedgerCore
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP

/// `GET /tile/...` and `GET /tile/entries/...` against tiles and bundles computed here from
/// the entries, byte for byte.
@Suite("tlog-tiles")
struct TileTests {
    @Test("300 entries: full and partial level-0 tiles, level-1 partial, bundles")
    func smallTree() async throws {
        let f = SharedFixtures.small
        try await withLiveAPI(f) { client in
            let auth = TestTokens.bearer(TestTokens.reader)
            // Full tile 0/000: the first 256 leaf hashes, immutable.
            var r = try await client.execute(uri: "/tile/0/000", method: .get, headers: auth)
            #expect(r.status == .ok)
            #expect(r.bytes.count == 8192)
            #expect(r.bytes == f.expectedTile(level: 0, index: 0, width: 256))
            #expect(r.headers[.cacheControl] == "public, max-age=31536000, immutable")
            #expect(r.headers[.contentType] == "application/octet-stream")
            #expect(r.headers[.contentLength] == "8192")
            // The rightmost partial tile: 44 leaves.
            r = try await client.execute(uri: "/tile/0/001.p/44", method: .get, headers: auth)
            #expect(r.status == .ok)
            #expect(r.bytes.count == 44 * 32)
            #expect(r.bytes == f.expectedTile(level: 0, index: 1, width: 44))
            #expect(r.headers[.cacheControl] == "public, max-age=60")
            // Level 1 holds one complete node: the root of the first 256 leaves.
            r = try await client.execute(uri: "/tile/1/000.p/1", method: .get, headers: auth)
            #expect(r.status == .ok)
            #expect(r.bytes == f.root(size: 256).bytes)
            // A narrower partial of an existing tile is its first W hashes.
            r = try await client.execute(uri: "/tile/0/000.p/10", method: .get, headers: auth)
            #expect(r.bytes == Array(f.expectedTile(level: 0, index: 0, width: 256).prefix(320)))
            r = try await client.execute(uri: "/tile/0/001.p/7", method: .get, headers: auth)
            #expect(r.bytes == f.expectedTile(level: 0, index: 1, width: 7))
            // Entry bundles.
            r = try await client.execute(uri: "/tile/entries/000", method: .get, headers: auth)
            #expect(r.status == .ok)
            #expect(r.bytes == f.expectedBundle(index: 0, width: 256))
            #expect(r.headers[.cacheControl] == "public, max-age=31536000, immutable")
            r = try await client.execute(uri: "/tile/entries/001.p/44", method: .get, headers: auth)
            #expect(r.bytes == f.expectedBundle(index: 1, width: 44))
            #expect(r.headers[.cacheControl] == "public, max-age=60")
        }
    }

    @Test("Entry bundle framing: big-endian u16 length, then the entry")
    func bundleFraming() async throws {
        let f = SharedFixtures.small
        let bundle = try await withLiveAPI(f) { client in
            try await client.execute(
                uri: "/tile/entries/001.p/20", method: .get, headers: TestTokens.bearer(TestTokens.reader)
            ).bytes
        }
        // Walk the bundle by hand and decode each entry.
        var offset = 0
        for i in 256..<276 {
            let length = Int(bundle[offset]) << 8 | Int(bundle[offset + 1])
            let entryBytes = Array(bundle[(offset + 2)..<(offset + 2 + length)])
            #expect(entryBytes == f.entries[i])
            let entry = try Entry(decoding: entryBytes)
            #expect(entry.index == UInt64(i))
            #expect(entry.payload == LedgerFixture.reading(i).payload)
            offset += 2 + length
        }
        #expect(offset == bundle.count)
        // Entry 275 is larger than 255 bytes: its length needs both bytes.
        #expect(f.entries[275].count > 255)
    }

    @Test("70 000 entries: level-0 partial, level-1 full and partial, level-2, bundles")
    func largeTree() async throws {
        let f = SharedFixtures.large
        try await withLiveAPI(f) { client in
            let auth = TestTokens.bearer(TestTokens.reader)
            // 70 000 = 273·256 + 112
            var r = try await client.execute(uri: "/tile/0/273.p/112", method: .get, headers: auth)
            #expect(r.bytes == f.expectedTile(level: 0, index: 273, width: 112))
            r = try await client.execute(uri: "/tile/0/272", method: .get, headers: auth)
            #expect(r.bytes == f.expectedTile(level: 0, index: 272, width: 256))
            // Level 1: 273 complete nodes = tile 0 full + tile 1 of width 17.
            r = try await client.execute(uri: "/tile/1/000", method: .get, headers: auth)
            #expect(r.status == .ok)
            #expect(r.bytes == f.expectedTile(level: 1, index: 0, width: 256))
            r = try await client.execute(uri: "/tile/1/001.p/17", method: .get, headers: auth)
            #expect(r.bytes == f.expectedTile(level: 1, index: 1, width: 17))
            // Level 2: one complete node, the root of the first 65 536 entries.
            r = try await client.execute(uri: "/tile/2/000.p/1", method: .get, headers: auth)
            #expect(r.bytes == f.root(size: 65_536).bytes)
            r = try await client.execute(uri: "/tile/entries/273.p/112", method: .get, headers: auth)
            #expect(r.bytes == f.expectedBundle(index: 273, width: 112))
            r = try await client.execute(uri: "/tile/entries/100", method: .get, headers: auth)
            #expect(r.bytes == f.expectedBundle(index: 100, width: 256))
            // Beyond the tree.
            for uri in ["/tile/0/273.p/113", "/tile/0/273", "/tile/1/001.p/18", "/tile/2/000.p/2", "/tile/3/000.p/1"] {
                r = try await client.execute(uri: uri, method: .get, headers: auth)
                #expect(r.status == .notFound, "\(uri)")
            }
        }
    }

    @Test("A tile beyond the sealed tree is 404 with a reason")
    func beyondTree() async throws {
        try await withLiveAPI(SharedFixtures.small) { client in
            let auth = TestTokens.bearer(TestTokens.reader)
            for uri in [
                "/tile/0/001", "/tile/0/001.p/45", "/tile/0/002.p/1", "/tile/1/000.p/2", "/tile/1/001.p/1",
                "/tile/2/000.p/1", "/tile/entries/001", "/tile/entries/001.p/45", "/tile/entries/002.p/1",
                "/tile/0/x001/000", "/tile/entries/x001/x000/x000/000",
            ] {
                let r = try await client.execute(uri: uri, method: .get, headers: auth)
                #expect(r.status == .notFound, "\(uri)")
                #expect(r.headers[.contentType] == "text/plain; charset=utf-8")
                #expect(r.headers[.cacheControl] == "no-store")
                #expect(r.text.contains("beyond the latest checkpoint (tree size 300)"), "\(uri): \(r.text)")
            }
        }
    }

    @Test("A malformed tile path is 400 with the parser's reason")
    func malformed() async throws {
        try await withLiveAPI(SharedFixtures.small) { client in
            let auth = TestTokens.bearer(TestTokens.reader)
            let cases: [(String, String)] = [
                ("/tile/0/x000/001", "x000"),
                ("/tile/0/1.p/0", "width 0"),
                ("/tile/0/000.p/0", "width 0"),
                ("/tile/0/000.p/256", "full tile"),
                ("/tile/0/000.p/007", "leading zero"),
                ("/tile/0/-1", "3 digits"),
                ("/tile/0/1", "3 digits"),
                ("/tile/00/000", "leading zero"),
                ("/tile/8/000", "cannot occur"),
                ("/tile/64/000", "maximum 63"),
                ("/tile/../etc/passwd", "neither"),
                ("/tile/0/../../etc/passwd", "misplaced or malformed"),
                ("/tile/0/%2e%2e/000", "x followed by 3 digits"),
                ("/tile/0/000/", "empty element"),
                ("/tile/0//000", "empty element"),
                ("/tile/0/x999/x999/x999/x999/x999/x999/x999/999", "64 bits"),
                ("/tile/0/99999999999999999999999999", "3 digits"),
                ("/tile/entries/000.p/99999999999999999999", "above 255"),
                ("/tile/data/000", "neither"),
            ]
            for (uri, reason) in cases {
                let r = try await client.execute(uri: uri, method: .get, headers: auth)
                #expect(r.status == .badRequest, "\(uri): \(r.status)")
                #expect(r.text.contains(reason), "\(uri): \(r.text)")
                #expect(r.text.hasPrefix("invalid tile path"), "\(uri): \(r.text)")
            }
        }
    }

    @Test("Nothing sealed yet: tiles and the checkpoint are 404")
    func emptyLog() async throws {
        let f = try LedgerFixture(count: 0, sealAt: [])
        try await withLiveAPI(f) { client in
            let auth = TestTokens.bearer(TestTokens.reader)
            var r = try await client.execute(uri: "/checkpoint", method: .get, headers: auth)
            #expect(r.status == .notFound)
            #expect(r.text == "no checkpoint has been sealed yet\n")
            r = try await client.execute(uri: "/tile/0/000.p/1", method: .get, headers: auth)
            #expect(r.status == .notFound)
            #expect(r.text.contains("no checkpoint has been sealed"))
            r = try await client.execute(uri: "/proof/0", method: .get, headers: auth)
            #expect(r.status == .notFound)
        }
    }

    @Test("Appended but unsealed entries are not served")
    func unsealed() async throws {
        let f = try LedgerFixture(count: 10, sealAt: [])
        try f.store.append(LedgerFixture.reading(10))
        try await withLiveAPI(f) { client in
            let auth = TestTokens.bearer(TestTokens.reader)
            var r = try await client.execute(uri: "/tile/entries/000.p/11", method: .get, headers: auth)
            #expect(r.status == .notFound)
            r = try await client.execute(uri: "/tile/entries/000.p/10", method: .get, headers: auth)
            #expect(r.status == .ok)
            #expect(r.bytes == f.expectedBundle(index: 0, width: 10))
        }
    }
}
