/// A C2SP transparency log proof (`c2sp.org/tlog-proof@v1`): an entry's index, its Merkle
/// inclusion proof and the signed checkpoint it is proved against, verifiable offline.
///
/// ```
/// c2sp.org/tlog-proof@v1
/// extra AQAAAAAAAAAq…
/// index 42
/// 8P1q2cM1XrWVtA/sw5c7FAyb6qbC06UmBGIXWRKlHbU=
/// …
///
/// factory.example/plant-7/gw-12
/// 300
/// CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
///
/// — factory.example/plant-7/gw-12 AZxo3t…
/// ```
///
/// EdgeLedger puts the entry itself (its format-v1 bytes) in the optional `extra` line, so the
/// proof alone shows what was logged: the verifier hashes `extra` as the leaf. The extra data
/// is not authenticated by itself; it is trustworthy only once its leaf hash verifies. Entries
/// whose payload was pruned by retention get a proof without `extra`.
public struct TLogProof: Sendable, Hashable {
    /// The first line of every proof.
    public static let header = "c2sp.org/tlog-proof@v1"

    /// Opaque extra data; EdgeLedger puts the encoded entry here.
    public var extra: [UInt8]?
    /// The zero-based index of the entry in the log.
    public var index: UInt64
    /// The inclusion proof, from the leaf's sibling up to the root's child (RFC 6962 §2.1.1).
    public var hashes: [Hash32]
    /// The signed checkpoint (a C2SP signed note, possibly with cosignatures), verbatim.
    public var checkpoint: String

    /// Creates a proof.
    public init(extra: [UInt8]? = nil, index: UInt64, hashes: [Hash32], checkpoint: String) {
        self.extra = extra
        self.index = index
        self.hashes = hashes
        self.checkpoint = checkpoint
    }

    /// The proof in its text form.
    public var text: String {
        var out = TLogProof.header + "\n"
        if let extra { out += "extra \(Base64.encode(extra))\n" }
        out += "index \(index)\n"
        for hash in hashes { out += Base64.encode(hash.bytes) + "\n" }
        out += "\n"
        out += checkpoint
        return out
    }

    /// Parses the text form strictly.
    ///
    /// - Throws: ``TLogProofError`` naming the line that is wrong. The checkpoint is taken
    ///   verbatim; parse and verify it with `Note` and `Checkpoint.open`.
    public init(parsing text: some StringProtocol) throws(TLogProofError) {
        let bytes = Array(text.utf8)
        // The header lines end at the first empty line; everything after it is the checkpoint.
        var split: Int? = nil
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 0x0a && bytes[i + 1] == 0x0a {
                split = i
                break
            }
            i += 1
        }
        guard let split else { throw TLogProofError("proof has no empty line before the checkpoint") }
        let lines = bytes[..<split].split(separator: 0x0a, omittingEmptySubsequences: false)
        let rest = split + 2
        func show(_ line: ArraySlice<UInt8>) -> String { String(decoding: line.prefix(60), as: UTF8.self) }
        var n = 0
        guard n < lines.count, lines[n].elementsEqual(TLogProof.header.utf8) else {
            throw TLogProofError("line 1 must be \"\(TLogProof.header)\"")
        }
        n += 1
        var extra: [UInt8]? = nil
        if n < lines.count, lines[n].starts(with: "extra ".utf8) {
            guard let data = Base64.decode(utf8: Array(lines[n].dropFirst(6))) else {
                throw TLogProofError("line \(n + 1): extra data is not valid base64")
            }
            extra = data
            n += 1
        }
        guard n < lines.count, lines[n].starts(with: "index ".utf8) else {
            throw TLogProofError("line \(n + 1) must be \"index <N>\"")
        }
        guard let index = DecimalNumber.parse(lines[n].dropFirst(6)) else {
            throw TLogProofError(
                "line \(n + 1): \"\(show(lines[n]))\" is not a decimal index without leading zeros")
        }
        n += 1
        var hashes: [Hash32] = []
        while n < lines.count {
            guard let raw = Base64.decode(utf8: Array(lines[n])), let hash = Hash32(bytes: raw) else {
                throw TLogProofError("line \(n + 1): \"\(show(lines[n]))\" is not a base64 SHA-256 hash")
            }
            hashes.append(hash)
            n += 1
        }
        guard hashes.count <= 64 else {
            throw TLogProofError("proof has \(hashes.count) hashes; an inclusion proof has at most 64")
        }
        let checkpoint = String(decoding: bytes[rest...], as: UTF8.self)
        guard !checkpoint.isEmpty else { throw TLogProofError("proof has no checkpoint after the empty line") }
        self.init(extra: extra, index: index, hashes: hashes, checkpoint: checkpoint)
    }
}

/// A `c2sp.org/tlog-proof@v1` text is malformed.
public struct TLogProofError: ExplainedError, Equatable {
    /// What is wrong, naming the line.
    public var message: String
    /// No hint: the message says what is wrong with the input.
    public var hint: String? { nil }

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    public var description: String { "invalid tlog-proof: \(message)" }
}
