import EdgeLedgerCore
import EdgeLedgerCrypto
import Testing

/// The tlog-mirror `add-entries` body and `mirror-info` answer: the canonical package sequence,
/// encoding and decoding (also byte by byte and cut at every byte), and the decoder's bounds.
@Suite("Mirror upload format")
struct MirrorUploadTests {
    static let hasher = OpenSSLHasher.sha256

    /// A body for `[start, end)` of a log of `end` entries "entry-i" with valid proofs.
    static func body(
        start: UInt64, end: UInt64, ticket: [UInt8] = [1, 2]
    ) throws -> (bytes: [UInt8], entries: [[UInt8]]) {
        let entries = (0..<end).map { Array("entry-\($0)".utf8) }
        let leaves = entries.map { hasher.leafHash($0) }
        let header = MirrorUploadHeader(origin: "example.com/log", uploadStart: start, uploadEnd: end, ticket: ticket)
        var out = header.encoded
        for i in 0..<header.packageCount {
            let p = header.package(i)
            let proof = try Merkle.subtreeConsistencyProof(
                start: p.subtreeStart, end: p.end, leafHashes: leaves, hasher: hasher)
            MirrorPackage.encode(entries: entries[Int(p.start)..<Int(p.end)], proof: proof, into: &out)
        }
        return (out, entries)
    }

    @Test func canonicalSequence() {
        let h = MirrorUploadHeader(origin: "o", uploadStart: 300, uploadEnd: 1000)
        #expect(h.packageCount == 3)
        #expect(h.package(0) == (256, 300, 512))
        #expect(h.package(1) == (512, 512, 768))
        #expect(h.package(2) == (768, 768, 1000))
        #expect(h.packageIndex(of: 700) == 1)
        #expect(MirrorUploadHeader(origin: "o", uploadStart: 5, uploadEnd: 5).packageCount == 0)
        #expect(MirrorUploadHeader(origin: "o", uploadStart: 0, uploadEnd: 256).packageCount == 1)
        #expect(MirrorUploadHeader(origin: "o", uploadStart: 256, uploadEnd: 257).package(0) == (256, 256, 257))
        // A claimed size near 2^64 is arithmetic, not an allocation.
        let huge = MirrorUploadHeader(origin: "o", uploadStart: 0, uploadEnd: .max)
        #expect(huge.packageCount == UInt64.max / 256 + 1)
        #expect(huge.package(huge.packageCount - 1).end == .max)
    }

    @Test func roundTripAndProofsVerify() throws {
        let (bytes, entries) = try Self.body(start: 300, end: 1000)
        let (header, packages) = try MirrorUploadDecoder.decode(bytes)
        #expect(header.origin == "example.com/log" && header.uploadStart == 300 && header.uploadEnd == 1000)
        #expect(header.ticket == [1, 2])
        #expect(packages.count == 3)
        let leaves = entries.map { Self.hasher.leafHash($0) }
        let root = Merkle.rootHash(leaves, hasher: Self.hasher)
        for p in packages {
            #expect(p.entries == Array(entries[Int(p.start)..<Int(p.end)]))
            let subtree = Merkle.rootHash(leaves[Int(p.subtreeStart)..<Int(p.end)], hasher: Self.hasher)
            try Merkle.verifySubtreeConsistency(
                start: p.subtreeStart, end: p.end, treeSize: 1000, subtreeHash: subtree, root: root, proof: p.proof,
                hasher: Self.hasher)
        }
    }

    /// A subtree hash computed ahead (while the request waits) stands for the one `verify`
    /// would compute: the right one verifies, a wrong one is refused, and a package that starts
    /// inside its subtree (held entries first) has none and computes its own.
    @Test func subtreeHashComputedAhead() throws {
        let (bytes, entries) = try Self.body(start: 300, end: 1000)
        let (_, packages) = try MirrorUploadDecoder.decode(bytes)
        let leaves = entries.map { Self.hasher.leafHash($0) }
        let root = Merkle.rootHash(leaves, hasher: Self.hasher)
        for p in packages {
            let own = Array(leaves[Int(p.start)..<Int(p.end)])
            let held = leaves[Int(p.subtreeStart)..<Int(p.start)]
            let ahead = p.subtreeHash(leafHashes: own, hasher: Self.hasher)
            #expect((ahead == nil) == (p.start != p.subtreeStart))
            try p.verify(
                leafHashes: own, held: held, treeSize: 1000, root: root, hasher: Self.hasher, ownSubtreeHash: ahead)
            let wrong = Self.hasher.leafHash(Array("not the subtree".utf8))
            if ahead != nil {
                #expect(throws: MirrorPackageRefusal.self) {
                    try p.verify(
                        leafHashes: own, held: held, treeSize: 1000, root: root, hasher: Self.hasher,
                        ownSubtreeHash: wrong)
                }
            } else {
                // Held entries come first: the subtree hash is computed with them, not taken.
                try p.verify(
                    leafHashes: own, held: held, treeSize: 1000, root: root, hasher: Self.hasher, ownSubtreeHash: wrong)
            }
        }
    }

    /// Cut at every byte: the decoder returns exactly the complete items before the cut, never
    /// throws, and says whether it holds part of an item; fed one byte at a time it returns the
    /// same items.
    @Test func truncationAtEveryByte() throws {
        let (bytes, _) = try Self.body(start: 250, end: 520)
        let (_, all) = try MirrorUploadDecoder.decode(bytes)
        var boundaries: Set<Int> = []
        var byteByByte = MirrorUploadDecoder()
        var items: [MirrorUploadDecoder.Item] = []
        for (i, byte) in bytes.enumerated() {
            byteByByte.append([byte])
            while let item = try byteByByte.next() {
                items.append(item)
                boundaries.insert(i + 1)
            }
        }
        #expect(items.count == 1 + all.count)
        #expect(byteByByte.isComplete && !byteByByte.hasPartialItem)
        for cut in 0..<bytes.count {
            var decoder = MirrorUploadDecoder()
            decoder.append(bytes[..<cut])
            var packages = 0
            while let item = try decoder.next() {
                if case .package = item { packages += 1 }
            }
            let expectedPackages = boundaries.filter { $0 <= cut }.count - 1
            #expect(packages == max(0, expectedPackages), "cut at \(cut)")
            #expect(decoder.hasPartialItem == (cut > 0 && !boundaries.contains(cut)), "cut at \(cut)")
            #expect(decoder.consumedBytes == UInt64(boundaries.filter { $0 <= cut }.max() ?? 0), "cut at \(cut)")
            #expect(!decoder.isComplete)
            // A prefix of the canonical sequence decodes; a cut inside an item does not.
            let decoded = try? MirrorUploadDecoder.decode(bytes[..<cut])
            #expect((decoded != nil) == boundaries.contains(cut), "cut at \(cut)")
        }
    }

    @Test func boundsRefuseClaimsBeforeTheBytesArrive() throws {
        let limits = MirrorUploadDecoder.Limits(
            maxOriginBytes: 16, maxTicketBytes: 8, maxEntryBytes: 100,
            maxPackageBytes: 1000)
        // An origin length over the limit: refused from the two length bytes alone.
        var decoder = MirrorUploadDecoder(limits: limits)
        decoder.append([0xff, 0xff])
        #expect(throws: MirrorUploadError.self) { try decoder.next() }
        // A ticket over the limit.
        let longTicket = MirrorUploadHeader(
            origin: "o", uploadStart: 0, uploadEnd: 1, ticket: Array(repeating: 7, count: 9))
        #expect(throws: MirrorUploadError.self) { try MirrorUploadDecoder.decode(longTicket.encoded, limits: limits) }
        // An entry length over the limit: refused before its bytes.
        var header = MirrorUploadHeader(origin: "o", uploadStart: 0, uploadEnd: 300).encoded
        decoder = MirrorUploadDecoder(limits: limits)
        decoder.append(header + [0x01, 0x00])
        _ = try decoder.next()
        #expect(throws: MirrorUploadError.self) { try decoder.next() }
        // A package over the limit: 20 entries of 60 bytes (each allowed) exceed 1000 bytes.
        decoder = MirrorUploadDecoder(limits: limits)
        decoder.append(header)
        _ = try decoder.next()
        #expect(
            throws: MirrorUploadError.self,
            performing: {
                for _ in 0..<20 {
                    decoder.append([0, 60] + Array(repeating: 1, count: 60))
                    _ = try decoder.next()
                }
            })
        // More than 63 proof hashes.
        header = MirrorUploadHeader(origin: "o", uploadStart: 0, uploadEnd: 1).encoded
        #expect(throws: MirrorUploadError.self) { try MirrorUploadDecoder.decode(header + [0, 1, 9, 64]) }
        // Bytes after the last package.
        #expect(throws: MirrorUploadError.self) { try MirrorUploadDecoder.decode(header + [0, 1, 9, 0, 0]) }
        // upload_start after upload_end; an empty origin; an origin that is not UTF-8.
        var bad = MirrorUploadHeader(origin: "o", uploadStart: 2, uploadEnd: 1).encoded
        #expect(throws: MirrorUploadError.self) { try MirrorUploadDecoder.decode(bad) }
        bad = [0, 0] + Array(repeating: 0, count: 18)
        #expect(throws: MirrorUploadError.self) { try MirrorUploadDecoder.decode(bad) }
        bad = [0, 1, 0xff] + Array(repeating: 0, count: 18)
        #expect(throws: MirrorUploadError.self) { try MirrorUploadDecoder.decode(bad) }
        // A header claiming 2^64 entries with no packages decodes without allocating for them.
        let (h, p) = try MirrorUploadDecoder.decode(
            MirrorUploadHeader(origin: "o", uploadStart: 0, uploadEnd: .max).encoded)
        #expect(h.uploadEnd == .max && p.isEmpty)
    }

    @Test func mirrorInfo() throws {
        let info = MirrorInfo(treeSize: 1000, nextEntry: 512, ticket: [1, 2, 3])
        #expect(info.text == "1000\n512\nAQID\n")
        #expect(try MirrorInfo(parsing: Array(info.text.utf8)) == info)
        #expect(try MirrorInfo(parsing: Array("5\n0\n\n".utf8)) == MirrorInfo(treeSize: 5, nextEntry: 0))
        for bad in ["5\n0\n", "5\n0\n\n\n", "05\n0\n\n", "5\n-1\n\n", "5\n0\n!!\n", "5\n0\n", "5 \n0\n\n"] {
            #expect(throws: MirrorUploadError.self, "\(bad.debugDescription)") {
                try MirrorInfo(parsing: Array(bad.utf8))
            }
        }
    }
}
