/// The body of a C2SP checkpoint (`c2sp.org/tlog-checkpoint`): the log's origin, its tree
/// size and its root hash, one per line, each ending in a newline.
///
/// ```
/// factory.example/plant-7/gw-12
/// 20852163
/// CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
/// ```
///
/// EdgeLedger emits no extension lines; parsing accepts them (they must be non-empty) and keeps
/// them in ``extensions`` so that ``text`` reproduces the parsed body exactly.
public struct Checkpoint: Sendable, Hashable {
    /// The log's identity; by EdgeLedger convention also the name of its note key.
    public var origin: String
    /// The number of entries in the tree.
    public var size: UInt64
    /// The RFC 6962 root hash of the first ``size`` entries.
    public var root: Hash32
    /// Extension lines after the root, without their newlines; empty for EdgeLedger's own.
    public var extensions: [String]

    /// A checkpoint for the tree of `size` entries with `root`, without extension lines.
    public init(origin: String, size: UInt64, root: Hash32) {
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = []
    }

    /// The note text: `origin\nsize\nbase64(root)\n`, followed by any extension lines.
    public var text: String {
        var out = "\(origin)\n\(size)\n\(Base64.encode(root.bytes))\n"
        for line in extensions {
            out += line
            out += "\n"
        }
        return out
    }

    /// Parses a checkpoint body (a note's text).
    ///
    /// - Throws: `NoteError` naming the line that is wrong: missing final newline, fewer than
    ///   three lines, empty origin, a size that is not plain decimal (signs, leading zeros,
    ///   overflow), a root that is not base64 of 32 bytes, or an empty extension line.
    public init(parsing text: some StringProtocol) throws(NoteError) {
        let bytes = Array(text.utf8)
        try Note.checkCharacters(bytes, what: "checkpoint")
        guard bytes.last == 0x0a else {
            throw NoteError("checkpoint text does not end with a newline")
        }
        var lines = bytes.dropLast().split(separator: 0x0a, omittingEmptySubsequences: false)
        guard lines.count >= 3 else {
            throw NoteError(
                "checkpoint has \(lines.count) line\(lines.count == 1 ? "" : "s"); "
                    + "needs origin, tree size and root hash")
        }
        let origin = String(decoding: lines.removeFirst(), as: UTF8.self)
        guard !origin.isEmpty else { throw NoteError("checkpoint origin (line 1) is empty") }
        let sizeLine = lines.removeFirst()
        self.size = try Checkpoint.parseSize(sizeLine)
        let rootLine = lines.removeFirst()
        guard let rootBytes = Base64.decode(utf8: Array(rootLine)) else {
            throw NoteError("checkpoint root hash (line 3) is not valid base64")
        }
        guard let root = Hash32(bytes: rootBytes) else {
            throw NoteError("checkpoint root hash (line 3) is \(rootBytes.count) bytes; expected 32")
        }
        var extensions: [String] = []
        for (i, line) in lines.enumerated() {
            guard !line.isEmpty else {
                throw NoteError("checkpoint extension line \(i + 4) is empty")
            }
            extensions.append(String(decoding: line, as: UTF8.self))
        }
        self.origin = origin
        self.root = root
        self.extensions = extensions
    }

    private static func parseSize(_ line: ArraySlice<UInt8>) throws(NoteError) -> UInt64 {
        let shown = NoteName.quoted(String(decoding: line, as: UTF8.self))
        guard !line.isEmpty else { throw NoteError("checkpoint tree size (line 2) is empty") }
        guard line.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw NoteError("checkpoint tree size (line 2) \(shown) is not a decimal number")
        }
        guard line.count == 1 || line.first != UInt8(ascii: "0") else {
            throw NoteError("checkpoint tree size (line 2) \(shown) has a leading zero")
        }
        var value: UInt64 = 0
        for digit in line {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !o1 && !o2 else {
                throw NoteError("checkpoint tree size (line 2) \(shown) does not fit in 64 bits")
            }
            value = sum
        }
        return value
    }
}

extension Checkpoint {
    /// Verifies a signed checkpoint and parses its body.
    ///
    /// The note must carry at least one valid signature by `verifiers`, or one by each of them
    /// under ``NoteSignaturePolicy/all`` (see ``NoteSigning/open(_:verifiers:policy:)``), and
    /// when `origin` is given, the body's origin must equal it.
    ///
    /// - Returns: the checkpoint and the signatures that verified.
    public static func open(
        _ note: Note, verifiers: [any NoteVerifier], origin: String? = nil, policy: NoteSignaturePolicy = .any
    ) throws(NoteError) -> (checkpoint: Checkpoint, signatures: [NoteSignature]) {
        let verified = try NoteSigning.open(note, verifiers: verifiers, policy: policy)
        let checkpoint = try Checkpoint(parsing: note.text)
        if let origin, checkpoint.origin != origin {
            throw NoteError(
                "checkpoint origin \(NoteName.quoted(checkpoint.origin)) is not the expected \(NoteName.quoted(origin))"
            )
        }
        return (checkpoint, verified)
    }
}
