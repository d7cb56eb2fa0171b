/// One entry package of an `add-entries` request (see ``MirrorUploadHeader``): the entries
/// `[start, end)` and the subtree consistency proof of `[subtreeStart, end)` in the tree of the
/// upload's end size.
public struct MirrorPackage: Sendable, Hashable {
    /// The package's position in the canonical sequence.
    public var index: UInt64
    /// The first entry of the package's subtree (a multiple of 256, at most ``start``).
    public var subtreeStart: UInt64
    /// The first entry carried.
    public var start: UInt64
    /// One past the last entry carried.
    public var end: UInt64
    /// The entries `[start, end)`.
    public var entries: [[UInt8]]
    /// The subtree consistency proof of `[subtreeStart, end)`.
    public var proof: [Hash32]

    /// A package from its parts.
    public init(
        index: UInt64, subtreeStart: UInt64, start: UInt64, end: UInt64, entries: [[UInt8]], proof: [Hash32]
    ) {
        self.index = index
        self.subtreeStart = subtreeStart
        self.start = start
        self.end = end
        self.entries = entries
        self.proof = proof
    }

    /// Appends the package's bytes (each entry with its u16 length, `num_hashes`, the proof).
    ///
    /// - Precondition: every entry is at most 65,535 bytes and the proof at most 63 hashes.
    public static func encode(entries: some Sequence<[UInt8]>, proof: [Hash32], into out: inout [UInt8]) {
        precondition(proof.count <= MirrorUploadHeader.maxProofHashes, "\(proof.count) proof hashes")
        for entry in entries {
            precondition(entry.count <= Int(UInt16.max), "an entry of \(entry.count) bytes")
            out.appendBigEndian(UInt16(entry.count))
            out += entry
        }
        out.append(UInt8(proof.count))
        for hash in proof { hash.withUnsafeBytes { out.append(contentsOf: $0) } }
    }

    /// This package's bytes.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        Self.encode(entries: entries, proof: proof, into: &out)
        return out
    }
}
