/// The proof of possession an upstream sends with an acknowledgement (`POST /ack`).
///
/// The gateway answers `POST /ack/challenge` with a fresh random nonce and a few entry indexes
/// it chose after the upstream named the size it wants to acknowledge. Only a holder of those
/// entries' bytes can compute
///
///     H("edge-ledger ack-proof v1\n" || nonce || uint64(size) || root ||
///       for each challenged index i, in the order given: uint64(i) || uint32(len(entry_i)) || entry_i)
///
/// where `H` is the log's hash function (SHA-256, or SM3 for an SM3 log), integers are
/// big-endian, `root` is the 32-byte root of the tree of `size` entries and `entry_i` the
/// entry's bytes exactly as in its entry bundle (docs/FORMAT.md). The gateway computes the same
/// digest from its own store when it issues the challenge and records the acknowledgement only
/// when the two match (docs/FORMAT.md, "Acknowledgements").
public enum AckProof {
    /// Bytes of a challenge nonce.
    public static let nonceBytes = 32
    /// The domain-separation prefix of the digest.
    public static let domain: [UInt8] = Array("edge-ledger ack-proof v1\n".utf8)

    /// The proof digest over `entries` (index and bytes, in the challenge's order).
    public static func digest(
        hasher: any MerkleHasher, nonce: [UInt8], size: UInt64, root: Hash32,
        entries: [(index: UInt64, bytes: [UInt8])]
    ) -> Hash32 {
        var message = domain
        message.reserveCapacity(domain.count + nonce.count + 40 + entries.reduce(0) { $0 + 12 + $1.bytes.count })
        message += nonce
        message.appendBigEndian(size)
        root.withUnsafeBytes { message += $0 }
        for (index, bytes) in entries {
            message.appendBigEndian(index)
            message.appendBigEndian(UInt32(truncatingIfNeeded: bytes.count))
            message += bytes
        }
        return message.withUnsafeBytes { hasher.hash($0) }
    }

    /// Compares two digests in time independent of where they differ.
    public static func matches(_ a: Hash32, _ b: Hash32) -> Bool {
        a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in
                var difference: UInt8 = 0
                for i in 0..<32 { difference |= x[i] ^ y[i] }
                return difference == 0
            }
        }
    }
}
