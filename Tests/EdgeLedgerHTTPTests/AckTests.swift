import EdgeLedgerCore
import EdgeLedgerStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EdgeLedgerHTTP

/// `POST /ack`: acknowledgements from upstreams, checked against the log's root.
@Suite("acknowledgements")
struct AckTests {
    static func body(size: Int, root: Hash32) -> ByteBuffer {
        ByteBuffer(string: "{\"size\": \(size), \"root\": \"\(Base64.encode(root.bytes))\"}")
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.bytes)) as? [String: Any])
    }

    @Test("An upstream's acknowledgement of the right root is stored")
    func accepted() async throws {
        let f = try LedgerFixture(count: 300, sealAt: [44])
        try await withLiveAPI(f) { client in
            let auth = TestTokens.bearer(TestTokens.upstream)
            var r = try await client.execute(
                uri: "/ack", method: .post, headers: auth, body: AckTests.body(size: 44, root: f.root(size: 44)))
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/json")
            var json = try AckTests.json(r)
            #expect(json["upstream"] as? String == "dc-1")
            #expect(json["acked_size"] as? Int == 44)
            #expect(try f.store.upstream(named: "dc-1")?.ackedSize == 44)
            #expect(try f.store.upstream(named: "dc-1")?.ackedRoot == f.root(size: 44))
            // Any size up to the sealed size, not only checkpoint sizes.
            r = try await client.execute(
                uri: "/ack", method: .post, headers: auth, body: AckTests.body(size: 299, root: f.root(size: 299)))
            #expect(r.status == .ok)
            // Acknowledgements never move backwards.
            r = try await client.execute(
                uri: "/ack", method: .post, headers: auth, body: AckTests.body(size: 10, root: f.root(size: 10)))
            #expect(r.status == .ok)
            json = try AckTests.json(r)
            #expect(json["acked_size"] as? Int == 299)
            #expect(try f.store.upstream(named: "dc-1")?.ackedSize == 299)
        }
    }

    @Test("A different root is a fork: 409 with the expected root, nothing stored")
    func fork() async throws {
        let f = try LedgerFixture(count: 300, sealAt: [])
        try await withLiveAPI(f) { client in
            let r = try await client.execute(
                uri: "/ack", method: .post, headers: TestTokens.bearer(TestTokens.upstream),
                body: AckTests.body(size: 300, root: f.root(size: 299)))
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
            let r = try await client.execute(
                uri: "/ack", method: .post, headers: TestTokens.bearer(TestTokens.upstream),
                body: AckTests.body(size: 301, root: f.root(size: 300)))
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
            let body = AckTests.body(size: 10, root: f.root(size: 10))
            var r = try await client.execute(uri: "/ack", method: .post, body: body)
            #expect(r.status == .unauthorized)
            #expect(r.headers[.wwwAuthenticate] == "Bearer realm=\"edge-ledger\"")
            r = try await client.execute(
                uri: "/ack", method: .post, headers: TestTokens.bearer(TestTokens.unknown), body: body)
            #expect(r.status == .unauthorized)
            #expect(r.headers[.wwwAuthenticate]?.contains("invalid_token") == true)
            r = try await client.execute(
                uri: "/ack", method: .post, headers: TestTokens.bearer(TestTokens.reader), body: body)
            #expect(r.status == .forbidden)
            #expect(r.text.contains("token \"reader\" is not an upstream"))
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
            let bad = [
                "", "not json", "[]", "{}", "{\"size\": 10}", "{\"root\": \"\(root)\"}",
                "{\"size\": -1, \"root\": \"\(root)\"}", "{\"size\": 0, \"root\": \"\(root)\"}",
                "{\"size\": 1.5, \"root\": \"\(root)\"}", "{\"size\": \"10\", \"root\": \"\(root)\"}",
                "{\"size\": 18446744073709551616, \"root\": \"\(root)\"}", "{\"size\": 10, \"root\": \"abc\"}",
                "{\"size\": 10, \"root\": \"\(Base64.encode([UInt8](repeating: 1, count: 31)))\"}",
                "{\"size\": 10, \"root\": 5}",
            ]
            for text in bad {
                let r = try await client.execute(
                    uri: "/ack", method: .post, headers: auth, body: ByteBuffer(string: text))
                #expect(r.status == .badRequest, "\(text): \(r.status) \(r.text)")
                #expect(r.text.hasPrefix("invalid acknowledgement"), "\(text): \(r.text)")
            }
            // Unknown members are ignored.
            var r = try await client.execute(
                uri: "/ack", method: .post, headers: auth,
                body: ByteBuffer(string: "{\"size\": 10, \"root\": \"\(root)\", \"note\": \"hi\"}"))
            #expect(r.status == .ok)
            // Too large.
            let big = "{\"size\": 10, \"root\": \"\(root)\", \"pad\": \"\(String(repeating: "x", count: 2000))\"}"
            r = try await client.execute(uri: "/ack", method: .post, headers: auth, body: ByteBuffer(string: big))
            #expect(r.status == .contentTooLarge)
            #expect(r.text.contains("1024"))
        }
    }
}
