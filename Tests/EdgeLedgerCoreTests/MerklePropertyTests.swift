import EdgeLedgerCore
import EdgeLedgerCrypto
import PropertyBased
import Testing

extension Hash32 {
    /// This hash with bit `bit` (0...255) inverted.
    func flipping(bit: Int) -> Hash32 {
        var copy = self
        copy.withUnsafeMutableBytes { $0[bit / 8] ^= UInt8(1) << UInt8(bit % 8) }
        return copy
    }
}

/// Random tree sizes 1...2000: generated proofs verify; one flipped bit anywhere, another index,
/// another tree size or another leaf makes them fail.
@Suite("Merkle properties")
struct MerklePropertyTests {
    static let hasher = OpenSSLHasher.sha256
    static let leaves = MerkleTestLeaves.sha256

    static func root(_ size: Int) -> Hash32 { Merkle.rootHash(leaves.prefix(size), hasher: hasher) }

    static func rejects(_ body: () throws(ProofError) -> Void) -> Bool {
        do {
            try body()
            return false
        } catch {
            return true
        }
    }

    @Test func inclusionProofsVerifyAndResistTampering() async {
        await propertyCheck(
            count: 120, input: Gen.int(in: 1...2000), Gen.uint64(in: 0...UInt64.max), Gen.int(in: 0...255)
        ) { size, pick, bit in
            let hasher = Self.hasher
            let index = pick % UInt64(size)
            let leaf = Self.leaves[Int(index)]
            let root = Self.root(size)
            let n = UInt64(size)
            let proof: [Hash32]
            do {
                proof = try Merkle.inclusionProof(index: index, leafHashes: Self.leaves.prefix(size), hasher: hasher)
            } catch {
                Issue.record("size \(size) index \(index): \(error)")
                return
            }
            let verify = { (i: UInt64, s: UInt64, l: Hash32, p: [Hash32], r: Hash32) throws(ProofError) in
                try Merkle.verifyInclusion(index: i, treeSize: s, leafHash: l, proof: p, root: r, hasher: hasher)
            }
            #expect(
                !Self.rejects { () throws(ProofError) in try verify(index, n, leaf, proof, root) },
                "size \(size) index \(index)")

            // One flipped bit in any proof hash, in the root, or in the leaf.
            for k in proof.indices {
                var bad = proof
                bad[k] = bad[k].flipping(bit: (bit + 37 * k) % 256)
                #expect(Self.rejects { () throws(ProofError) in try verify(index, n, leaf, bad, root) }, "proof[\(k)]")
            }
            #expect(
                Self.rejects { () throws(ProofError) in try verify(index, n, leaf, proof, root.flipping(bit: bit)) })
            #expect(
                Self.rejects { () throws(ProofError) in try verify(index, n, leaf.flipping(bit: bit), proof, root) })
            // Truncated, padded, reordered.
            if !proof.isEmpty {
                #expect(
                    Self.rejects { () throws(ProofError) in try verify(index, n, leaf, Array(proof.dropLast()), root) })
            }
            #expect(Self.rejects { () throws(ProofError) in try verify(index, n, leaf, proof + [root], root) })
            if proof.count >= 2, proof[0] != proof[1] {
                #expect(
                    Self.rejects { () throws(ProofError) in
                        try verify(index, n, leaf, [proof[1], proof[0]] + proof.dropFirst(2), root)
                    })
            }
            // The proof does not carry over to another position of the same tree...
            for other in [index &+ 1, index &- 1, index ^ 2] where other < n {
                #expect(
                    Self.rejects { () throws(ProofError) in try verify(other, n, leaf, proof, root) }, "index \(other)")
                #expect(
                    Self.rejects { () throws(ProofError) in try verify(other, n, Self.leaves[Int(other)], proof, root) }
                )
            }
            // ...nor to another tree (another checkpoint).
            for other in [n + 1, n - 1, n * 2, n / 2] where other > index && other != n && other <= 2000 {
                #expect(
                    Self.rejects { () throws(ProofError) in try verify(index, other, leaf, proof, Self.root(Int(other)))
                    }, "size \(other)")
            }
        }
    }

    @Test func consistencyProofsVerifyAndResistTampering() async {
        await propertyCheck(
            count: 120, input: Gen.int(in: 1...2000), Gen.uint64(in: 0...UInt64.max), Gen.int(in: 0...255)
        ) { newSize, pick, bit in
            let hasher = Self.hasher
            let oldSize = 1 + pick % UInt64(newSize)
            let oldRoot = Self.root(Int(oldSize))
            let newRoot = Self.root(newSize)
            let n = UInt64(newSize)
            let proof: [Hash32]
            do {
                proof = try Merkle.consistencyProof(
                    from: oldSize, leafHashes: Self.leaves.prefix(newSize), hasher: hasher)
            } catch {
                Issue.record("\(oldSize) → \(newSize): \(error)")
                return
            }
            let verify = { (m: UInt64, s: UInt64, r1: Hash32, r2: Hash32, p: [Hash32]) throws(ProofError) in
                try Merkle.verifyConsistency(oldSize: m, newSize: s, oldRoot: r1, newRoot: r2, proof: p, hasher: hasher)
            }
            #expect(
                !Self.rejects { () throws(ProofError) in try verify(oldSize, n, oldRoot, newRoot, proof) },
                "\(oldSize) → \(newSize)")

            for k in proof.indices {
                var bad = proof
                bad[k] = bad[k].flipping(bit: (bit + 53 * k) % 256)
                #expect(
                    Self.rejects { () throws(ProofError) in try verify(oldSize, n, oldRoot, newRoot, bad) },
                    "proof[\(k)]")
            }
            #expect(
                Self.rejects { () throws(ProofError) in
                    try verify(oldSize, n, oldRoot.flipping(bit: bit), newRoot, proof)
                })
            #expect(
                Self.rejects { () throws(ProofError) in
                    try verify(oldSize, n, oldRoot, newRoot.flipping(bit: bit), proof)
                })
            if !proof.isEmpty {
                #expect(
                    Self.rejects { () throws(ProofError) in
                        try verify(oldSize, n, oldRoot, newRoot, Array(proof.dropLast()))
                    })
            }
            #expect(
                Self.rejects { () throws(ProofError) in try verify(oldSize, n, oldRoot, newRoot, proof + [newRoot]) })
            // Other old sizes (with their true roots) and other new sizes (with theirs).
            for other in [oldSize + 1, oldSize - 1, oldSize / 2] where other >= 1 && other <= n && other != oldSize {
                #expect(
                    Self.rejects { () throws(ProofError) in try verify(other, n, Self.root(Int(other)), newRoot, proof)
                    }, "old \(other)")
            }
            for other in [n + 1, n - 1, n * 2] where other >= oldSize && other != n && other <= 2000 {
                #expect(
                    Self.rejects { () throws(ProofError) in
                        try verify(oldSize, other, oldRoot, Self.root(Int(other)), proof)
                    }, "new \(other)")
            }
        }
    }

    @Test func sm3ProofsVerify() async throws {
        let sm3 = try OpenSSLHasher(.sm3)
        let leaves = MerkleTestLeaves.make(600, hasher: sm3)
        await propertyCheck(count: 25, input: Gen.int(in: 1...600), Gen.uint64(in: 0...UInt64.max)) { size, pick in
            let index = pick % UInt64(size)
            let oldSize = 1 + pick % UInt64(size)
            let root = Merkle.rootHash(leaves.prefix(size), hasher: sm3)
            #expect(root != Merkle.rootHash(Self.leaves.prefix(size), hasher: Self.hasher))
            do {
                let inclusion = try Merkle.inclusionProof(index: index, leafHashes: leaves.prefix(size), hasher: sm3)
                try Merkle.verifyInclusion(
                    index: index, treeSize: UInt64(size), leafHash: leaves[Int(index)], proof: inclusion, root: root,
                    hasher: sm3)
                let consistency = try Merkle.consistencyProof(
                    from: oldSize, leafHashes: leaves.prefix(size), hasher: sm3)
                try Merkle.verifyConsistency(
                    oldSize: oldSize, newSize: UInt64(size),
                    oldRoot: Merkle.rootHash(leaves.prefix(Int(oldSize)), hasher: sm3),
                    newRoot: root, proof: consistency, hasher: sm3)
            } catch {
                Issue.record("SM3 size \(size): \(error)")
            }
        }
    }
}
