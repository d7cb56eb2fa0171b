import EdgeLedgerCore
import EdgeLedgerCrypto
import Testing

/// Deterministic leaf hashes for tests: leaf `i` is `H(0x00 || "leaf-<i>")`.
enum MerkleTestLeaves {
    static func make(_ count: Int, hasher: some MerkleHasher = OpenSSLHasher.sha256) -> [Hash32] {
        (0..<count).map { hasher.leafHash(Array("leaf-\($0)".utf8)) }
    }
    /// 2,100 SHA-256 leaves, shared by the property tests.
    static let sha256 = make(2100)
}

/// RFC 6962 §2.1 written as literally as possible (recursive, slow): the oracle for the
/// iterative implementation.
enum NaiveRFC6962 {
    static func split(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }
    static func mth(_ d: ArraySlice<Hash32>, _ h: some MerkleHasher) -> Hash32 {
        if d.isEmpty { return h.emptyRoot }
        if d.count == 1 { return d[d.startIndex] }
        let k = split(d.count)
        return h.nodeHash(mth(d.prefix(k), h), mth(d.dropFirst(k), h))
    }
    static func path(_ m: Int, _ d: ArraySlice<Hash32>, _ h: some MerkleHasher) -> [Hash32] {
        if d.count <= 1 { return [] }
        let k = split(d.count)
        return m < k
            ? path(m, d.prefix(k), h) + [mth(d.dropFirst(k), h)]
            : path(m - k, d.dropFirst(k), h) + [mth(d.prefix(k), h)]
    }
    static func subproof(_ m: Int, _ d: ArraySlice<Hash32>, _ b: Bool, _ h: some MerkleHasher) -> [Hash32] {
        if m == d.count { return b ? [] : [mth(d, h)] }
        let k = split(d.count)
        return m <= k
            ? subproof(m, d.prefix(k), b, h) + [mth(d.dropFirst(k), h)]
            : subproof(m - k, d.dropFirst(k), false, h) + [mth(d.prefix(k), h)]
    }
}

@Suite("Merkle (in memory)")
struct MerkleTests {
    let hasher = OpenSSLHasher.sha256

    @Test func emptyTreeRoot() {
        #expect(Merkle.rootHash([Hash32](), hasher: hasher) == hasher.emptyRoot)
        #expect(hasher.emptyRoot.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func singleLeafRootIsTheLeaf() {
        let leaf = hasher.leafHash([1, 2, 3])
        #expect(Merkle.rootHash([leaf], hasher: hasher) == leaf)
        #expect((try? Merkle.inclusionProof(index: 0, leafHashes: [leaf], hasher: hasher)) == [])
    }

    /// Every size up to 70, every index and every old size: identical to the literal RFC text,
    /// proof lengths as announced, and everything verifies.
    @Test func matchesLiteralRFCForAllSmallTrees() throws {
        let leaves = MerkleTestLeaves.sha256
        for n in 1...70 {
            let d = leaves[0..<n]
            let root = Merkle.rootHash(d, hasher: hasher)
            #expect(root == NaiveRFC6962.mth(d, hasher), "root \(n)")
            for m in 0..<n {
                let proof = try Merkle.inclusionProof(index: UInt64(m), leafHashes: d, hasher: hasher)
                #expect(proof == NaiveRFC6962.path(m, d, hasher), "path \(m) of \(n)")
                #expect(proof.count == Merkle.inclusionProofLength(index: UInt64(m), treeSize: UInt64(n)))
                try Merkle.verifyInclusion(
                    index: UInt64(m), treeSize: UInt64(n), leafHash: d[m], proof: proof, root: root, hasher: hasher)
            }
            for m in 1...n {
                let proof = try Merkle.consistencyProof(from: UInt64(m), leafHashes: d, hasher: hasher)
                #expect(proof == NaiveRFC6962.subproof(m, d, true, hasher), "consistency \(m) to \(n)")
                #expect(proof.count == Merkle.consistencyProofLength(oldSize: UInt64(m), newSize: UInt64(n)))
                try Merkle.verifyConsistency(
                    oldSize: UInt64(m), newSize: UInt64(n), oldRoot: NaiveRFC6962.mth(d.prefix(m), hasher),
                    newRoot: root, proof: proof, hasher: hasher)
            }
        }
    }

    @Test func acceptsAnyRandomAccessCollection() throws {
        let leaves = Array(MerkleTestLeaves.sha256.prefix(300))
        let lazy = leaves.lazy.map { $0 }  // no contiguous storage
        #expect(Merkle.rootHash(lazy, hasher: hasher) == Merkle.rootHash(leaves, hasher: hasher))
        #expect(Merkle.rootHash(leaves[1...], hasher: hasher) == Merkle.rootHash(Array(leaves[1...]), hasher: hasher))
        #expect(
            try Merkle.inclusionProof(index: 17, leafHashes: lazy, hasher: hasher)
                == Merkle.inclusionProof(index: 17, leafHashes: leaves, hasher: hasher))
        #expect(
            try Merkle.consistencyProof(from: 100, leafHashes: leaves[0..<299], hasher: hasher)
                == Merkle.consistencyProof(from: 100, leafHashes: Array(leaves[0..<299]), hasher: hasher))
    }

    // MARK: Errors say what is wrong

    @Test func wrongProofLengthIsExplained() throws {
        let leaves = Array(MerkleTestLeaves.sha256.prefix(8))
        let root = Merkle.rootHash(leaves, hasher: hasher)
        let proof = try Merkle.inclusionProof(index: 5, leafHashes: leaves, hasher: hasher)
        #expect(proof.count == 3)
        let error = #expect(throws: ProofError.self) {
            try Merkle.verifyInclusion(
                index: 5, treeSize: 8, leafHash: leaves[5], proof: Array(proof.dropLast()), root: root, hasher: hasher)
        }
        #expect(error?.kind == .malformedProof)
        #expect(error?.message == "proof has 2 hashes, expected 3 for index 5 in a tree of 8")
        #expect(error?.hint != nil)
    }

    @Test func mismatchNamesBothRoots() throws {
        let leaves = Array(MerkleTestLeaves.sha256.prefix(8))
        let root = Merkle.rootHash(leaves, hasher: hasher)
        let proof = try Merkle.inclusionProof(index: 2, leafHashes: leaves, hasher: hasher)
        let error = #expect(throws: ProofError.self) {
            try Merkle.verifyInclusion(
                index: 2, treeSize: 8, leafHash: leaves[3], proof: proof, root: root, hasher: hasher)
        }
        #expect(error?.kind == .mismatch)
        #expect(error?.message.contains(root.hex) == true)
    }

    @Test func invalidRequestsAreRejectedWithReasons() throws {
        let leaves = Array(MerkleTestLeaves.sha256.prefix(5))
        let e1 = #expect(throws: ProofError.self) {
            try Merkle.inclusionProof(index: 5, leafHashes: leaves, hasher: hasher)
        }
        #expect(e1?.kind == .invalidRequest)
        #expect(e1?.message == "index 5 is outside a tree of 5 (valid: 0...4)")
        let e2 = #expect(throws: ProofError.self) {
            try Merkle.inclusionProof(index: 0, leafHashes: [Hash32](), hasher: hasher)
        }
        #expect(e2?.message == "a tree of size 0 has no leaf 0")
        let e3 = #expect(throws: ProofError.self) {
            try Merkle.consistencyProof(from: 0, leafHashes: leaves, hasher: hasher)
        }
        #expect(e3?.message.contains("empty tree") == true)
        let e4 = #expect(throws: ProofError.self) {
            try Merkle.consistencyProof(from: 6, leafHashes: leaves, hasher: hasher)
        }
        #expect(e4?.message == "old size 6 is larger than new size 5")
        let e5 = #expect(throws: ProofError.self) {
            try Merkle.verifyInclusion(
                index: .max, treeSize: 3, leafHash: leaves[0], proof: [], root: leaves[0], hasher: hasher)
        }
        #expect(e5?.kind == .invalidRequest)
        #expect(Merkle.inclusionProofLength(index: 3, treeSize: 3) == nil)
        #expect(Merkle.consistencyProofLength(oldSize: 0, newSize: 0) == nil)
        #expect(Merkle.consistencyProofLength(oldSize: 4, newSize: 3) == nil)
        #expect(Merkle.consistencyProofLength(oldSize: 3, newSize: 3) == 0)
    }

    @Test func equalSizesNeedEqualRootsAndAnEmptyProof() throws {
        let leaves = Array(MerkleTestLeaves.sha256.prefix(6))
        let root = Merkle.rootHash(leaves, hasher: hasher)
        try Merkle.verifyConsistency(oldSize: 6, newSize: 6, oldRoot: root, newRoot: root, proof: [], hasher: hasher)
        let fork = #expect(throws: ProofError.self) {
            try Merkle.verifyConsistency(
                oldSize: 6, newSize: 6, oldRoot: root, newRoot: leaves[0], proof: [], hasher: hasher)
        }
        #expect(fork?.kind == .mismatch)
        #expect(fork?.hint?.contains("forked") == true)
        let padded = #expect(throws: ProofError.self) {
            try Merkle.verifyConsistency(
                oldSize: 6, newSize: 6, oldRoot: root, newRoot: root, proof: [root], hasher: hasher)
        }
        #expect(padded?.message == "proof has 1 hash, expected 0 for consistency from size 6 to size 6")
    }

    @Test func proofLengthsAtTheTopOfTheRange() {
        #expect(Merkle.inclusionProofLength(index: 0, treeSize: .max) == 64)
        #expect(Merkle.inclusionProofLength(index: .max - 1, treeSize: .max) == 63)
        #expect(Merkle.inclusionProofLength(index: 1 << 62, treeSize: 1 << 63) == 63)
        #expect(Merkle.consistencyProofLength(oldSize: 1 << 62, newSize: 1 << 63) == 1)
        #expect(Merkle.consistencyProofLength(oldSize: 1, newSize: .max) == 64)
    }

    // MARK: SM3

    @Test func sm3TreesDifferAndVerify() throws {
        let sm3 = try OpenSSLHasher(.sm3)
        #expect(sm3.algorithm == .sm3)
        let entries = (0..<37).map { Array("reading-\($0)".utf8) }
        let shaLeaves = entries.map { hasher.leafHash($0) }
        let smLeaves = entries.map { sm3.leafHash($0) }
        #expect(shaLeaves[0] != smLeaves[0])
        #expect(sm3.emptyRoot.hex == "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b")
        let smRoot = Merkle.rootHash(smLeaves, hasher: sm3)
        #expect(smRoot != Merkle.rootHash(shaLeaves, hasher: hasher))
        #expect(smRoot == NaiveRFC6962.mth(smLeaves[...], sm3))
        for index in [0, 1, 17, 31, 32, 36] {
            let proof = try Merkle.inclusionProof(index: UInt64(index), leafHashes: smLeaves, hasher: sm3)
            try Merkle.verifyInclusion(
                index: UInt64(index), treeSize: 37, leafHash: smLeaves[index], proof: proof, root: smRoot, hasher: sm3)
            // The same proof does not verify with the other algorithm.
            #expect(throws: ProofError.self) {
                try Merkle.verifyInclusion(
                    index: UInt64(index), treeSize: 37, leafHash: smLeaves[index], proof: proof, root: smRoot,
                    hasher: hasher)
            }
        }
        let old = Merkle.rootHash(smLeaves.prefix(20), hasher: sm3)
        let proof = try Merkle.consistencyProof(from: 20, leafHashes: smLeaves, hasher: sm3)
        try Merkle.verifyConsistency(oldSize: 20, newSize: 37, oldRoot: old, newRoot: smRoot, proof: proof, hasher: sm3)
    }
}
