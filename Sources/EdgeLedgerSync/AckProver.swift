import EdgeLedgerCore
import EdgeLedgerStore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The collector's side of an acknowledgement with proof of possession (docs/FORMAT.md,
/// "Acknowledgements"): ask the gateway for a challenge for the verified size, answer it with
/// the ``AckProof`` digest over the challenged entries read from this upstream's own store.
///
/// An upstream that lost or never stored the entries cannot answer: the acknowledgement is not
/// sent and the problem is reported like an undelivered one.
struct AckProver {
    /// Challenged entries accepted in one challenge: the gateway sends 16; more is refused.
    static let maxIndexes = 64

    let client: SyncHTTPClient
    let store: CollectorStore
    let hasher: any MerkleHasher

    /// Acknowledges `size` with `root` for the collected gateway `id`.
    ///
    /// - Returns: the gateway's answer to the challenge request when it is not 200, otherwise
    ///   its answer to the acknowledgement.
    /// - Throws: ``SyncTransportError`` when the gateway is unreachable, its challenge is
    ///   malformed, or this store does not hold a challenged entry.
    func acknowledge(gateway id: Int64, size: UInt64, root: Hash32) async throws -> SyncHTTPResponse {
        let request = JSONWriter.object([("size", String(size))])
        let response = try await client.post(
            "ack/challenge", body: Array(request.utf8), contentType: "application/json")
        guard response.status == 200 else { return response }
        let (nonce, indexes) = try Self.parse(response.body, size: size)
        var entries: [(index: UInt64, bytes: [UInt8])] = []
        for index in indexes {
            guard let bytes = try store.entries(gateway: id, from: index, to: index + 1).first else {
                throw SyncTransportError(
                    description: "cannot prove possession: entry \(index) that the gateway challenged is not in this "
                        + "upstream's store (acknowledgements stay off until it is collected again)")
            }
            entries.append((index, bytes))
        }
        let proof = AckProof.digest(hasher: hasher, nonce: nonce, size: size, root: root, entries: entries)
        let body = JSONWriter.object([
            ("size", String(size)), ("root", JSONWriter.string(Base64.encode(root.bytes))),
            ("challenge", JSONWriter.string(Base64.encode(nonce))),
            ("proof", JSONWriter.string(Base64.encode(proof.bytes))),
        ])
        return try await client.post("ack", body: Array(body.utf8), contentType: "application/json")
    }

    /// The nonce and the indexes of a challenge for `size`.
    static func parse(_ body: [UInt8], size: UInt64) throws -> (nonce: [UInt8], indexes: [UInt64]) {
        struct Challenge: Decodable {
            var challenge: String
            var size: UInt64
            var indexes: [UInt64]
        }
        func malformed(_ why: String) -> SyncTransportError {
            SyncTransportError(description: "the gateway's acknowledgement challenge is malformed: \(why)")
        }
        guard body.count <= 1 << 16 else { throw malformed("\(body.count) bytes") }
        let challenge: Challenge
        do {
            challenge = try JSONDecoder().decode(Challenge.self, from: Data(body))
        } catch {
            throw malformed("\(error)")
        }
        guard challenge.size == size else { throw malformed("it is for size \(challenge.size), not \(size)") }
        guard let nonce = Base64.decode(challenge.challenge), nonce.count == AckProof.nonceBytes else {
            throw malformed("\"challenge\" is not a base64 nonce of \(AckProof.nonceBytes) bytes")
        }
        guard challenge.indexes.count <= maxIndexes, challenge.indexes.allSatisfy({ $0 < size }) else {
            throw malformed("more than \(maxIndexes) indexes, or an index beyond size \(size)")
        }
        return (nonce, challenge.indexes)
    }
}
