import EdgeLedgerCore
import EdgeLedgerStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP

/// `POST /ack/challenge` and `POST /ack`: acknowledgements from upstreams, with proof of
/// possession, checked against the log's root and bounded by what the upstream fetched.
@Suite("acknowledgements")
struct AckTests {
    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.bytes)) as? [String: Any])
    }

    /// Fetches the entry bundles of the first `size` entries (`size` a sealed size) as `token`.
    static func fetchEntries(
        _ client: some TestClientProtocol, size: Int, token: String = TestTokens.upstream
    )
        async throws
    {
        for index in 0..<(size + 255) / 256 {
            let width = min(256, size - index * 256)
            let path = "/" + TileID.entryBundle(index: UInt64(index), width: width).path
            let r = try await client.execute(uri: path, method: .get, headers: TestTokens.bearer(token))
            #expect(r.status == .ok, "\(path): \(r.status)")
        }
    }

    /// Asks for a challenge for `size`.
    static func challenge(_ client: some TestClientProtocol, size: Int) async throws -> TestResponse {
        try await client.execute(
            uri: "/ack/challenge", method: .post, headers: TestTokens.bearer(TestTokens.upstream),
            body: ByteBuffer(string: "{\"size\": \(size)}"))
    }

    /// The answer to `challenge` computed here from the fixture's entries (as an upstream
    /// holding them would), acknowledging `size` with `root` (the log's by default).
    static func answer(_ f: LedgerFixture, _ challenge: TestResponse, size: Int, root: Hash32? = nil) throws -> String {
        try answer(f, challenge.bytes, size: size, root: root)
    }

    /// ``answer(_:_:size:root:)`` for the challenge's JSON body.
    static func answer(_ f: LedgerFixture, _ challenge: [UInt8], size: Int, root: Hash32? = nil) throws -> String {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(challenge)) as? [String: Any])
        let nonceText = try #require(json["challenge"] as? String)
        let nonce = try #require(Base64.decode(nonceText))
        let indexes = try #require(json["indexes"] as? [Int])
        let root = root ?? f.root(size: size)
        let proof = AckProof.digest(
            hasher: sha256, nonce: nonce, size: UInt64(size), root: root,
            entries: indexes.map { (UInt64($0), f.entries[$0]) })
        return "{\"size\": \(size), \"root\": \"\(Base64.encode(root.bytes))\", \"challenge\": "
            + "\"\(Base64.encode(nonce))\", \"proof\": \"\(Base64.encode(proof.bytes))\"}"
    }

    /// Challenge, answer, acknowledgement.
    static func acknowledge(
        _ client: some TestClientProtocol, _ f: LedgerFixture, size: Int
    ) async throws
        -> TestResponse
    {
        let challenge = try await challenge(client, size: size)
        #expect(challenge.status == .ok, "\(challenge.text)")
        return try await client.execute(
            uri: "/ack", method: .post, headers: TestTokens.bearer(TestTokens.upstream),
            body: ByteBuffer(string: try answer(f, challenge, size: size)))
    }

    @Test("An upstream that fetched the entries and proves possession gets its acknowledgement stored")
    func accepted() async throws {
        let f = try LedgerFixture(count: 300, sealAt: [44])
        try await withLiveAPI(f) { client in
            try await AckTests.fetchEntries(client, size: 300)
            let challenge = try await AckTests.challenge(client, size: 44)
            #expect(challenge.status == .ok)
            // What dc-1 fetched was persisted at the latest when it asked for the challenge.
            #expect(try f.store.reader.fetchedBelow(upstream: "dc-1") == 300)
            let c = try AckTests.json(challenge)
            #expect(c["size"] as? Int == 44)
            let indexes = try #require(c["indexes"] as? [Int])
            #expect(!indexes.isEmpty && indexes.count <= 16 && indexes.allSatisfy { $0 < 44 })
            var r = try await client.execute(
                uri: "/ack", method: .post, headers: TestTokens.bearer(TestTokens.upstream),
                body: ByteBuffer(string: try AckTests.answer(f, challenge, size: 44)))
            #expect(r.status == .ok, "\(r.text)")
            #expect(r.headers[.contentType] == "application/json")
            var json = try AckTests.json(r)
            #expect(json["upstream"] as? String == "dc-1")
            #expect(json["acked_size"] as? Int == 44)
            #expect(try f.store.upstream(named: "dc-1")?.ackedSize == 44)
            #expect(try f.store.upstream(named: "dc-1")?.ackedRoot == f.root(size: 44))
            // Any size up to the sealed size, not only checkpoint sizes.
            r = try await AckTests.acknowledge(client, f, size: 299)
            #expect(r.status == .ok)
            // Acknowledgements never move backwards.
            r = try await AckTests.acknowledge(client, f, size: 10)
            #expect(r.status == .ok)
            json = try AckTests.json(r)
            #expect(json["acked_size"] as? Int == 299)
            #expect(try f.store.upstream(named: "dc-1")?.ackedSize == 299)
            // Retention follows.
            let pruned = try f.store.prune(requiredUpstreams: ["dc-1"], minAge: .zero, now: .max)
            #expect(pruned.prunedEntries == 299)
        }
    }

    @Test(
        "An upstream that never fetched the entries with its credential is refused with the right root; nothing pruned")
    func notFetchedRefused() async throws {
        let f = try LedgerFixture(count: 300, sealAt: [])
        try await withLiveAPI(f) { client in
            // Another client read everything; that does not count for dc-1.
            try await AckTests.fetchEntries(client, size: 300, token: TestTokens.reader)
            var r = try await AckTests.challenge(client, size: 300)
            #expect(r.status == .conflict)
            #expect(try AckTests.json(r)["fetched_size"] as? Int == 0)
            #expect(r.text.contains("fetch the entry bundles"))
            // The old form with the right (public) root is refused too.
            r = try await client.execute(
                uri: "/ack", method: .post, headers: TestTokens.bearer(TestTokens.upstream),
                body: ByteBuffer(string: "{\"size\": 300, \"root\": \"\(Base64.encode(f.root(size: 300).bytes))\"}"))
            #expect(r.status == .preconditionRequired)
            #expect(r.text.contains("POST /ack/challenge"), "\(r.text)")
            #expect(try f.store.upstream(named: "dc-1") == nil)
            // Fetching only the first bundle lets it acknowledge that far, not further.
            let first = try await client.execute(
                uri: "/tile/entries/000", method: .get, headers: TestTokens.bearer(TestTokens.upstream))
            #expect(first.status == .ok)
            r = try await AckTests.challenge(client, size: 300)
            #expect(try AckTests.json(r)["fetched_size"] as? Int == 256)
            r = try await AckTests.acknowledge(client, f, size: 256)
            #expect(r.status == .ok)
        }
        #expect(try f.store.prune(requiredUpstreams: ["dc-1"], minAge: .zero, now: .max).prunedEntries == 256)
    }

    @Test("An answer is used once: a replay, a wrong proof and an answer after a wrong one are refused")
    func replayRefused() async throws {
        let f = try LedgerFixture(count: 300, sealAt: [])
        try await withLiveAPI(f) { client in
            try await AckTests.fetchEntries(client, size: 300)
            let auth = TestTokens.bearer(TestTokens.upstream)
            var challenge = try await AckTests.challenge(client, size: 100)
            let good = try AckTests.answer(f, challenge, size: 100)
            var r = try await client.execute(uri: "/ack", method: .post, headers: auth, body: ByteBuffer(string: good))
            #expect(r.status == .ok)
            r = try await client.execute(uri: "/ack", method: .post, headers: auth, body: ByteBuffer(string: good))
            #expect(r.status == .conflict)
            #expect(r.text.contains("unknown, expired or already answered"), "\(r.text)")
            // A wrong proof: an upstream whose stored entry 150 differs (or is missing).
            challenge = try await AckTests.challenge(client, size: 200)
            let json = try AckTests.json(challenge)
            let nonceText = try #require(json["challenge"] as? String)
            let nonce = try #require(Base64.decode(nonceText))
            let indexes = try #require(json["indexes"] as? [Int])
            let wrong = AckProof.digest(
                hasher: sha256, nonce: nonce, size: 200, root: f.root(size: 200),
                entries: indexes.dropLast().map { (UInt64($0), f.entries[$0]) })
            let bad =
                "{\"size\": 200, \"root\": \"\(Base64.encode(f.root(size: 200).bytes))\", \"challenge\": "
                + "\"\(Base64.encode(nonce))\", \"proof\": \"\(Base64.encode(wrong.bytes))\"}"
            r = try await client.execute(uri: "/ack", method: .post, headers: auth, body: ByteBuffer(string: bad))
            #expect(r.status == .conflict)
            #expect(r.text.contains("wrong proof of possession"), "\(r.text)")
            r = try await client.execute(
                uri: "/ack", method: .post, headers: auth,
                body: ByteBuffer(string: try AckTests.answer(f, challenge, size: 200)))
            #expect(r.status == .conflict, "a challenge is used up by a wrong answer")
            // Another upstream's challenge cannot be answered by this one (the reader is none).
            #expect(try f.store.upstream(named: "dc-1")?.ackedSize == 100)
        }
    }

    @Test("A different root is a fork: 409 with the expected root, nothing stored")
    func fork() async throws {
        let f = try LedgerFixture(count: 300, sealAt: [])
        try await withLiveAPI(f) { client in
            try await AckTests.fetchEntries(client, size: 300)
            let challenge = try await AckTests.challenge(client, size: 300)
            let r = try await client.execute(
                uri: "/ack", method: .post, headers: TestTokens.bearer(TestTokens.upstream),
                body: ByteBuffer(string: try AckTests.answer(f, challenge, size: 300, root: f.root(size: 299))))
            #expect(r.status == .conflict)
            let json = try AckTests.json(r)
            #expect(json["expected_root"] as? String == Base64.encode(f.root(size: 300).bytes))
            #expect(json["root"] as? String == Base64.encode(f.root(size: 299).bytes))
            #expect(json["size"] as? Int == 300)
            #expect(try f.store.upstream(named: "dc-1") == nil)
        }
    }

    @Test("A size beyond the sealed tree is 409, nothing stored")
    func beyond() async throws {
        let f = try LedgerFixture(count: 300, sealAt: [])
        try f.store.append(LedgerFixture.reading(300))  // appended, not sealed
        try await withLiveAPI(f) { client in
            let r = try await AckTests.challenge(client, size: 301)
            #expect(r.status == .conflict)
            #expect(try AckTests.json(r)["sealed_size"] as? Int == 300)
            #expect(try f.store.upstream(named: "dc-1") == nil)
        }
    }

    @Test("401 without credentials or with a wrong token, 403 for a client that is no upstream")
    func refused() async throws {
        let f = try LedgerFixture(count: 10, sealAt: [])
        var http = HTTPConfiguration(tokens: TestTokens.configured)
        http.allowAnonymousRead = true  // never applies to acknowledgements
        try await withLiveAPI(f, http: http) { client in
            for path in ["/ack", "/ack/challenge"] {
                let body = ByteBuffer(string: "{\"size\": 10}")
                var r = try await client.execute(uri: path, method: .post, body: body)
                #expect(r.status == .unauthorized)
                #expect(r.headers[.wwwAuthenticate] == "Bearer realm=\"edge-ledger\"")
                r = try await client.execute(
                    uri: path, method: .post, headers: TestTokens.bearer(TestTokens.unknown), body: body)
                #expect(r.status == .unauthorized)
                #expect(r.headers[.wwwAuthenticate]?.contains("invalid_token") == true)
                r = try await client.execute(
                    uri: path, method: .post, headers: TestTokens.bearer(TestTokens.reader), body: body)
                #expect(r.status == .forbidden)
                #expect(r.text.contains("token \"reader\" is not an upstream"))
            }
            #expect(try f.store.upstream(named: "reader") == nil)
            #expect(try f.store.upstream(named: "dc-1") == nil)
        }
    }

    @Test("Malformed bodies are 400; bodies over http.max_body_bytes are 413")
    func malformed() async throws {
        let f = try LedgerFixture(count: 10, sealAt: [])
        var http = HTTPConfiguration(tokens: TestTokens.configured)
        http.maxBodyBytes = 1024
        try await withLiveAPI(f, http: http) { client in
            let auth = TestTokens.bearer(TestTokens.upstream)
            let root = Base64.encode(f.root(size: 10).bytes)
            let nonce = Base64.encode([UInt8](repeating: 7, count: 32))
            let tail = ", \"challenge\": \"\(nonce)\", \"proof\": \"\(root)\"}"
            let bad = [
                "", "not json", "[]", "{}", "{\"size\": 10}", "{\"root\": \"\(root)\"\(tail)",
                "{\"size\": -1, \"root\": \"\(root)\"\(tail)", "{\"size\": 0, \"root\": \"\(root)\"\(tail)",
                "{\"size\": 1.5, \"root\": \"\(root)\"\(tail)", "{\"size\": \"10\", \"root\": \"\(root)\"\(tail)",
                "{\"size\": 18446744073709551616, \"root\": \"\(root)\"\(tail)",
                "{\"size\": 10, \"root\": \"abc\"\(tail)",
                "{\"size\": 10, \"root\": \"\(Base64.encode([UInt8](repeating: 1, count: 31)))\"\(tail)",
                "{\"size\": 10, \"root\": 5\(tail)",
                "{\"size\": 10, \"root\": \"\(root)\", \"challenge\": \"abc\", \"proof\": \"\(root)\"}",
                "{\"size\": 10, \"root\": \"\(root)\", \"challenge\": \"\(nonce)\", \"proof\": \"abc\"}",
            ]
            for text in bad {
                let r = try await client.execute(
                    uri: "/ack", method: .post, headers: auth, body: ByteBuffer(string: text))
                #expect(r.status == .badRequest, "\(text): \(r.status) \(r.text)")
                #expect(r.text.hasPrefix("invalid acknowledgement"), "\(text): \(r.text)")
            }
            for text in ["", "{}", "{\"size\": 0}", "{\"size\": -3}", "{\"size\": \"10\"}"] {
                let r = try await client.execute(
                    uri: "/ack/challenge", method: .post, headers: auth, body: ByteBuffer(string: text))
                #expect(r.status == .badRequest, "\(text): \(r.status) \(r.text)")
            }
            // Unknown members are ignored (here: a well-formed answer to no challenge).
            var r = try await client.execute(
                uri: "/ack", method: .post, headers: auth,
                body: ByteBuffer(string: "{\"size\": 10, \"root\": \"\(root)\", \"note\": \"hi\"\(tail)"))
            #expect(r.status == .conflict)
            // Too large.
            let big = "{\"size\": 10, \"root\": \"\(root)\", \"pad\": \"\(String(repeating: "x", count: 2000))\"}"
            r = try await client.execute(uri: "/ack", method: .post, headers: auth, body: ByteBuffer(string: big))
            #expect(r.status == .contentTooLarge)
            #expect(r.text.contains("1024"))
        }
    }
}
