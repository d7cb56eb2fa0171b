import EdgeLedgerCore
import EdgeLedgerHTTP

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
///
/// The gateway accepts an acknowledgement only as far as this upstream fetched the entry bundles
/// with its own credential. When it recorded less (it restarted while bundles were served out of
/// order, or its store was restored), it says so (409 with `fetched_size`); the bundles from
/// there on are fetched again, at most ``maxRefetchBundles`` per attempt, and the challenge is
/// asked for once more.
struct AckProver {
    /// Challenged entries accepted in one challenge: the gateway sends 16; more is refused.
    static let maxIndexes = 64
    /// Entry bundles fetched again in one attempt; the rest follow at the next pulls.
    static let maxRefetchBundles: UInt64 = 4096

    let client: PeerHTTPClient
    let store: CollectorStore
    let hasher: any MerkleHasher

    /// Acknowledges `size` with `root` for the collected gateway `id`.
    ///
    /// - Returns: the gateway's answer to the challenge request when it is not 200, otherwise
    ///   its answer to the acknowledgement.
    /// - Throws: ``PeerTransportError`` when the gateway is unreachable, its challenge is
    ///   malformed, or this store does not hold a challenged entry.
    func acknowledge(gateway id: Int64, size: UInt64, root: Hash32) async throws -> PeerHTTPResponse {
        var response = try await challenge(size: size)
        if response.status == 409, let fetched = Self.fetchedSize(response.body), fetched < size {
            let end = try await refetch(from: fetched, to: size)
            guard end == size else {
                throw PeerTransportError(
                    description: "the gateway recorded only entries below \(fetched) as fetched by this upstream; "
                        + "fetched their bundles again up to \(end) of \(size), continuing at the next pull")
            }
            response = try await challenge(size: size)
        }
        guard response.status == 200 else { return response }
        let (nonce, indexes) = try Self.parse(response.body, size: size)
        var entries: [(index: UInt64, bytes: [UInt8])] = []
        for index in indexes {
            guard let bytes = try await store.entries(gateway: id, from: index, to: index + 1).first else {
                throw PeerTransportError(
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

    /// `POST ack/challenge {"size": size}`.
    private func challenge(size: UInt64) async throws -> PeerHTTPResponse {
        let request = JSONWriter.object([("size", String(size))])
        return try await client.post("ack/challenge", body: Array(request.utf8), contentType: "application/json")
    }

    /// GETs the entry bundles of `from ..< to` again (at most ``maxRefetchBundles``), so that the
    /// gateway records them as fetched by this upstream; their bytes were verified when first
    /// collected and are not stored again. Returns where it stopped.
    private func refetch(from: UInt64, to: UInt64) async throws -> UInt64 {
        var bundle = from / 256
        let last = min((to - 1) / 256, bundle + Self.maxRefetchBundles - 1)
        while bundle <= last {
            let width = Int(min(256, to - bundle * 256))
            let path = TileID.entryBundle(index: bundle, width: width).path
            let response = try await client.get(path, limit: width * (2 + 65_535))
            guard response.status == 200 else {
                throw PeerTransportError(
                    description: "fetching \(path) again for the acknowledgement: HTTP \(response.status): "
                        + response.bodyExcerpt)
            }
            bundle += 1
        }
        return min(to, (last + 1) * 256)
    }

    /// `fetched_size` of a 409 answer to a challenge request, if it has one.
    static func fetchedSize(_ body: [UInt8]) -> UInt64? {
        struct Refusal: Decodable { var fetched_size: UInt64 }
        return try? JSONDecoder().decode(Refusal.self, from: Data(body)).fetched_size
    }

    /// The nonce and the indexes of a challenge for `size`.
    static func parse(_ body: [UInt8], size: UInt64) throws -> (nonce: [UInt8], indexes: [UInt64]) {
        struct Challenge: Decodable {
            var challenge: String
            var size: UInt64
            var indexes: [UInt64]
        }
        func malformed(_ why: String) -> PeerTransportError {
            PeerTransportError(description: "the gateway's acknowledgement challenge is malformed: \(why)")
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
