import EdgeLedgerCore
import EdgeLedgerHTTP
import EdgeLedgerStore
import Synchronization

/// The acknowledgement challenges a gateway has issued and not yet redeemed (`POST
/// /ack/challenge`, answered by `POST /ack`).
///
/// A challenge is a fresh random nonce plus entry indexes drawn *after* the upstream named the
/// size it wants to acknowledge; the expected ``AckProof`` digest is computed from the
/// gateway's own entries when the challenge is issued. A challenge is redeemed at most once
/// (an answer, right or wrong, uses it up), expires after ``lifetime``, and at most
/// ``perUpstream`` are pending per upstream (the oldest is dropped): memory is bounded by the
/// number of configured upstreams.
public final class AckChallengeBook: Sendable {
    /// One issued challenge.
    public struct Challenge: Sendable {
        /// The random nonce (``AckProof/nonceBytes`` bytes).
        public var nonce: [UInt8]
        /// The size the upstream wants to acknowledge.
        public var size: UInt64
        /// The log's root at ``size``.
        public var root: Hash32
        /// The entries whose bytes the answer must hash, in this order.
        public var indexes: [UInt64]
        /// The digest a holder of those entries computes (``AckProof``).
        public var expected: Hash32
        var expires: ContinuousClock.Instant

        /// The challenge as the JSON body of the `POST /ack/challenge` answer.
        public func json(lifetime: Duration) -> String {
            JSONWriter.object(
                [
                    ("challenge", JSONWriter.string(Base64.encode(nonce))), ("size", String(size)),
                    ("indexes", "[" + indexes.map { String($0) }.joined(separator: ", ") + "]"),
                    ("expires_in", String(lifetime.components.seconds)),
                ], spaced: true)
        }
    }

    /// Pending challenges per upstream.
    public static let perUpstream = 4
    /// Entries drawn from the entries being newly acknowledged, and from all held entries.
    public static let samples = (new: 8, any: 8)

    /// How long a challenge may be answered.
    public let lifetime: Duration
    private let pending = Mutex<[String: [Challenge]]>([:])

    /// An empty book whose challenges expire after `lifetime`.
    public init(lifetime: Duration = .seconds(30)) {
        self.lifetime = lifetime
    }

    /// Issues a challenge to `upstream` for acknowledging `size` (at most the sealed size; the
    /// caller checks): draws a nonce and the entry indexes among the entries the store still
    /// holds, preferring those above the upstream's recorded acknowledgement, and computes the
    /// expected digest from `reader`'s entries.
    public func issue(
        upstream: String, size: UInt64, reader: LedgerReader, hasher: any MerkleHasher
    ) throws(StoreError) -> Challenge {
        var random = SystemRandomNumberGenerator()
        let nonce = (0..<AckProof.nonceBytes).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        let held = try min(reader.prunedBelow(), size)
        let acknowledged = try reader.upstream(named: upstream)?.ackedSize ?? 0
        let previous = max(held, min(acknowledged, size))
        var chosen = Set<UInt64>()
        for (range, count) in [(previous..<size, Self.samples.new), (held..<size, Self.samples.any)]
        where !range.isEmpty {
            for _ in 0..<count { chosen.insert(UInt64.random(in: range, using: &random)) }
        }
        var entries: [(index: UInt64, bytes: [UInt8])] = []
        for index in chosen.sorted() {
            do throws(StoreError) {
                if let bytes = try reader.encodedEntries(from: index, to: index + 1).first {
                    entries.append((index, bytes))
                }
            } catch {
                guard error.kind == .pruned else { throw error }  // pruned meanwhile: nothing to prove
            }
        }
        let root = try reader.rootHash(size: size)
        let challenge = Challenge(
            nonce: nonce, size: size, root: root, indexes: entries.map(\.index),
            expected: AckProof.digest(hasher: hasher, nonce: nonce, size: size, root: root, entries: entries),
            expires: .now + lifetime)
        pending.withLock { book in
            let now = ContinuousClock.now
            var list = (book[upstream] ?? []).filter { $0.expires > now }
            list.append(challenge)
            book[upstream] = Array(list.suffix(Self.perUpstream))
        }
        return challenge
    }

    /// Takes the pending challenge of `upstream` with `nonce` out of the book: `nil` when it
    /// was never issued to this upstream, was already answered, was dropped or has expired.
    public func redeem(upstream: String, nonce: [UInt8]) -> Challenge? {
        pending.withLock { book -> Challenge? in
            guard var list = book[upstream], let i = list.firstIndex(where: { $0.nonce == nonce }) else { return nil }
            let challenge = list.remove(at: i)
            book[upstream] = list.isEmpty ? nil : list
            return challenge.expires > .now ? challenge : nil
        }
    }
}
