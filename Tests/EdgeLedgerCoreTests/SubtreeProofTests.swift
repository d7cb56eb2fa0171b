import EdgeLedgerCore
import EdgeLedgerCrypto
import PropertyBased
import Testing

/// The draft's `SUBTREE_PROOF` written literally (recursive): the oracle for the iterative one.
private enum NaiveSubtreeProof {
    static func proof(_ start: Int, _ end: Int, _ leaves: ArraySlice<Hash32>, _ hasher: some MerkleHasher) -> [Hash32] {
        start == end ? [] : subproof(start, end, leaves, true, hasher)
    }

    static func subproof(
        _ start: Int, _ end: Int, _ d: ArraySlice<Hash32>, _ known: Bool, _ hasher: some MerkleHasher
    ) -> [Hash32] {
        let n = d.count
        if start == 0 && end == n { return known ? [] : [Merkle.rootHash(d, hasher: hasher)] }
        let k = NaiveRFC6962.split(n)
        let left = d.prefix(k)
        let right = d.dropFirst(k)
        if end <= k {
            return subproof(start, end, left, known, hasher) + [Merkle.rootHash(right, hasher: hasher)]
        } else if k <= start {
            return subproof(start - k, end - k, right, known, hasher) + [Merkle.rootHash(left, hasher: hasher)]
        }
        return subproof(0, end - k, right, false, hasher) + [Merkle.rootHash(left, hasher: hasher)]
    }
}

/// Subtree consistency proofs (draft-ietf-plants-merkle-tree-certs), as tlog-mirror packages
/// carry them: generated proofs verify, match the draft's recursive definition and the tiled
/// generator, and any flipped hash or leaf fails.
@Suite("Subtree consistency proofs")
struct SubtreeProofTests {
    static let hasher = OpenSSLHasher.sha256
    static let leaves = MerkleTestLeaves.sha256

    static func rejects(_ body: () throws(ProofError) -> Void) -> Bool { MerklePropertyTests.rejects(body) }

    /// A valid subtree ending at `end`: `end - 1` rounded down to a multiple of 2^`height`.
    static func subtree(end: Int, height: Int) -> (Int, Int) { (((end - 1) >> height) << height, end) }

    @Test func theDraftsExamples() throws {
        let h = Self.hasher
        let l = Self.leaves
        let root = { (lo: Int, hi: Int) in Merkle.rootHash(l[lo..<hi], hasher: h) }
        #expect(
            try Merkle.subtreeConsistencyProof(start: 4, end: 8, leafHashes: l.prefix(14), hasher: h)
                == [root(0, 4), root(8, 14)])
        #expect(
            try Merkle.subtreeConsistencyProof(start: 8, end: 13, leafHashes: l.prefix(14), hasher: h)
                == [root(12, 13), root(13, 14), root(8, 12), root(0, 8)])
        #expect(Merkle.isValidSubtree(start: 8, end: 13))
        #expect(!Merkle.isValidSubtree(start: 7, end: 9))
        #expect(Merkle.isValidSubtree(start: 0, end: 9))
        #expect(Merkle.isValidSubtree(start: 5, end: 5))
        #expect(!Merkle.isValidSubtree(start: 6, end: 5))
        #expect(Merkle.isValidSubtree(start: 0, end: UInt64.max))
        #expect(Merkle.isValidSubtree(start: 1 << 63, end: UInt64.max))
        #expect(!Merkle.isValidSubtree(start: 1 << 62, end: UInt64.max))
    }

    @Test func specialCasesAreConsistencyAndInclusionProofs() throws {
        let h = Self.hasher
        for n in [1, 2, 3, 7, 8, 9, 100, 257] {
            let leaves = Self.leaves.prefix(n)
            for m in 1...n {
                #expect(
                    try Merkle.subtreeConsistencyProof(start: 0, end: UInt64(m), leafHashes: leaves, hasher: h)
                        == (try Merkle.consistencyProof(from: UInt64(m), leafHashes: leaves, hasher: h)))
                let i = UInt64(m - 1)
                #expect(
                    try Merkle.subtreeConsistencyProof(start: i, end: i + 1, leafHashes: leaves, hasher: h)
                        == (try Merkle.inclusionProof(index: i, leafHashes: leaves, hasher: h)))
            }
        }
    }

    @Test func randomSubtreesVerifyAndResistTampering() async {
        await propertyCheck(
            count: 150, input: Gen.int(in: 1...2000), Gen.int(in: 0...1_000_000),
            Gen.int(in: 0...11), Gen.int(in: 0...255)
        ) { size, pick, height, bit in
            let h = Self.hasher
            let all = Self.leaves.prefix(size)
            let end = 1 + pick % size
            let (start, _) = Self.subtree(end: end, height: height)
            let (s, e, n) = (UInt64(start), UInt64(end), UInt64(size))
            let root = Merkle.rootHash(all, hasher: h)
            let subtreeHash = Merkle.rootHash(Self.leaves[start..<end], hasher: h)
            guard let proof = try? Merkle.subtreeConsistencyProof(start: s, end: e, leafHashes: all, hasher: h) else {
                Issue.record("[\(start), \(end)) in \(size) refused")
                return
            }
            #expect(proof == NaiveSubtreeProof.proof(start, end, all[...], h), "[\(start), \(end)) in \(size)")
            #expect(proof.count <= MirrorUploadHeader.maxProofHashes)
            let verify = { (p: [Hash32], sub: Hash32, r: Hash32) throws(ProofError) in
                try Merkle.verifySubtreeConsistency(
                    start: s, end: e, treeSize: n, subtreeHash: sub, root: r, proof: p, hasher: h)
            }
            #expect(!Self.rejects { () throws(ProofError) in try verify(proof, subtreeHash, root) })
            for k in proof.indices {
                var bad = proof
                bad[k] = bad[k].flipping(bit: (bit + 41 * k) % 256)
                #expect(Self.rejects { () throws(ProofError) in try verify(bad, subtreeHash, root) }, "proof[\(k)]")
            }
            #expect(Self.rejects { () throws(ProofError) in try verify(proof, subtreeHash.flipping(bit: bit), root) })
            #expect(Self.rejects { () throws(ProofError) in try verify(proof, subtreeHash, root.flipping(bit: bit)) })
            #expect(Self.rejects { () throws(ProofError) in try verify(proof + [root], subtreeHash, root) })
            if !proof.isEmpty {
                #expect(
                    Self.rejects { () throws(ProofError) in try verify(Array(proof.dropLast()), subtreeHash, root) })
            }
            // One flipped leaf inside the subtree changes its hash: the proof no longer fits.
            var leaves = Array(Self.leaves[start..<end])
            leaves[bit % leaves.count] = leaves[bit % leaves.count].flipping(bit: bit)
            let flipped = Merkle.rootHash(leaves, hasher: h)
            #expect(Self.rejects { () throws(ProofError) in try verify(proof, flipped, root) })
            // Nor does it carry over to another tree size.
            if size < 2000 {
                let larger = Merkle.rootHash(Self.leaves.prefix(size + 1), hasher: h)
                #expect(
                    Self.rejects { () throws(ProofError) in
                        try Merkle.verifySubtreeConsistency(
                            start: s, end: e, treeSize: n + 1, subtreeHash: subtreeHash, root: larger, proof: proof,
                            hasher: h)
                    })
            }
        }
    }

    @Test func tiledProofsEqualInMemoryProofs() throws {
        let h = Self.hasher
        var tiles = TileMap()
        tiles.apply(try TiledTree.extend(from: 0, appending: Self.leaves, reader: TileMap(), hasher: h))
        let size = Self.leaves.count
        for end in [1, 255, 256, 257, 511, 512, 1000, 1024, 1025, 2048, 2100] {
            for height in [0, 3, 8, 9, 11] {
                let (start, _) = Self.subtree(end: end, height: height)
                let expected = try Merkle.subtreeConsistencyProof(
                    start: UInt64(start), end: UInt64(end), leafHashes: Self.leaves, hasher: h)
                let tiled = try TiledTree.subtreeConsistencyProof(
                    start: UInt64(start), end: UInt64(end), size: UInt64(size), reader: tiles, hasher: h)
                #expect(tiled == expected, "[\(start), \(end))")
            }
        }
    }

    @Test func invalidRequestsAreRefused() {
        let h = Self.hasher
        let root = Merkle.rootHash(Self.leaves.prefix(10), hasher: h)
        for (s, e, n) in [(7, 9, 10), (0, 11, 10), (3, 2, 10)] as [(UInt64, UInt64, UInt64)] {
            #expect(throws: ProofError.self) {
                try Merkle.subtreeConsistencyProof(start: s, end: e, leafHashes: Self.leaves.prefix(Int(n)), hasher: h)
            }
            #expect(throws: ProofError.self) {
                try Merkle.verifySubtreeConsistency(
                    start: s, end: e, treeSize: n, subtreeHash: root, root: root, proof: [], hasher: h)
            }
        }
        // The empty subtree: an empty proof and the empty tree's hash.
        #expect(throws: Never.self) {
            try Merkle.verifySubtreeConsistency(
                start: 4, end: 4, treeSize: 10, subtreeHash: h.emptyRoot, root: root, proof: [], hasher: h)
        }
        #expect(throws: ProofError.self) {
            try Merkle.verifySubtreeConsistency(
                start: 4, end: 4, treeSize: 10, subtreeHash: root, root: root, proof: [], hasher: h)
        }
    }
}
