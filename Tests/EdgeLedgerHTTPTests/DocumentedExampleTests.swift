import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP

/// The byte-level example of docs/FORMAT.md ("HTTP API"), served by a real store over HTTP,
/// so the page and the code cannot drift apart.
@Suite("docs/FORMAT.md examples")
struct DocumentedExampleTests {
    static let entries = [
        "0101000000000000000018867251edfa00000003662f74000000077b2276223a317d",
        "01040000000000000001188672522994ca000003662f74000000077b2276223a327d",
        "0101000000000000000218867252652f94000003662f74000000077b2276223a337d",
    ]
    static let leaves = [
        "8b0c34caf6338055c2221b9e5c90f156d174bef87bdc423f28c7ee420bd9af54",
        "c527127d234f68852f20e06a469577b98faf1b67860283b8db3e654471f65209",
        "8f32108c2931fadcc06f335aedaf17326481dae7dc5e6c6f4aa30514a52ed97e",
    ]
    static let root = "B/2yXI5KIPhx8uqpcsxGgwK6V0wrnfG3FTr9pBZs2r8="

    @Test("The three-entry log: bundle, tiles, root and proof, byte for byte")
    func threeEntries() async throws {
        let directory = try TemporaryDirectory.make(prefix: "edge-ledger-doc")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try LedgerStore(path: directory.appendingPathComponent("ledger.db").path, hasher: sha256)
        let base: Int64 = 1_767_225_600_000_000_000
        try store.append(batch: [
            ReadingInput(receivedAt: base, qos: 1, retain: false, topic: "f/t", payload: Array("{\"v\":1}".utf8)),
            ReadingInput(
                receivedAt: base + 1_000_000_000, qos: 0, retain: true, topic: "f/t", payload: Array("{\"v\":2}".utf8)),
            ReadingInput(
                receivedAt: base + 2_000_000_000, qos: 1, retain: false, topic: "f/t", payload: Array("{\"v\":3}".utf8)),
        ])
        let key = try PrivateKey.generate(.ed25519)
        _ = try store.seal { request in try LedgerFixture.sign(request, key: key) }
        var logger = Logger(label: "edge-ledger.http.doc-test")
        logger.logLevel = .warning
        let service = try LedgerAPIService(
            http: HTTPConfiguration(allowAnonymousRead: true), storePath: store.path, hasher: sha256,
            acknowledger: store, status: LedgerAPIStatusClosure { .ready }, logger: logger)
        try await service.application.test(.live) { client in
            var r = try await client.execute(uri: "/tile/entries/000.p/3", method: .get)
            #expect(r.bytes.hex == DocumentedExampleTests.entries.map { "0022" + $0 }.joined())
            #expect(r.bytes.count == 108)
            r = try await client.execute(uri: "/tile/0/000.p/3", method: .get)
            #expect(r.bytes.hex == DocumentedExampleTests.leaves.joined())
            r = try await client.execute(uri: "/tile/0/000.p/2", method: .get)
            #expect(r.bytes.hex == DocumentedExampleTests.leaves[0] + DocumentedExampleTests.leaves[1])
            r = try await client.execute(uri: "/checkpoint", method: .get)
            #expect(
                r.text.hasPrefix(
                    "\(LedgerFixture.origin)\n3\n\(DocumentedExampleTests.root)\n\n— \(LedgerFixture.origin) "))
            r = try await client.execute(uri: "/proof/1", method: .get)
            let header = [
                "c2sp.org/tlog-proof@v1",
                "extra AQQAAAAAAAAAARiGclIplMoAAANmL3QAAAAHeyJ2IjoyfQ==",
                "index 1",
                "iww0yvYzgFXCIhueXJDxVtF0vvh73EI/KMfuQgvZr1Q=",
                "jzIQjCkx+tzAbzNa7a8XMmSB2ufcXmxvSqMFFKUu2X4=",
                "",
                LedgerFixture.origin,
                "3",
                DocumentedExampleTests.root,
                "",
                "— \(LedgerFixture.origin) ",
            ].joined(separator: "\n")
            #expect(r.text.hasPrefix(header))
        }
        // The acknowledgement example: the challenge request; the old form without a proof is refused.
        #expect(try AckChallengeRequest(json: Array(#"{"size": 3}"#.utf8)).size == 3)
        let old = #"{"size": 3, "root": "B/2yXI5KIPhx8uqpcsxGgwK6V0wrnfG3FTr9pBZs2r8="}"#
        #expect(throws: AckRequestError.self) { try AckRequest(json: Array(old.utf8)) }
        do {
            _ = try AckRequest(json: Array(old.utf8))
        } catch {
            #expect(error.isMissingChallenge)
        }
    }
}
