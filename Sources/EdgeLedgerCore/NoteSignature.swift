/// One signature line of a C2SP signed note: `— <name> base64(keyID || signature)`.
public struct NoteSignature: Sendable, Hashable {
    /// The key name, e.g. `factory.example/plant-7/gw-12`.
    public var name: String
    /// The 32-bit key ID (the first four bytes of the decoded base64, big-endian).
    public var keyID: UInt32
    /// The signature bytes that follow the key ID.
    public var signature: [UInt8]

    /// A signature by the key `name`/`keyID`.
    public init(name: String, keyID: UInt32, signature: [UInt8]) {
        self.name = name
        self.keyID = keyID
        self.signature = signature
    }

    /// The complete line as it appears in a note, without the final newline:
    /// em dash, space, name, space, base64 of the key ID and signature.
    public var line: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 + signature.count)
        bytes.append(UInt8(truncatingIfNeeded: keyID >> 24))
        bytes.append(UInt8(truncatingIfNeeded: keyID >> 16))
        bytes.append(UInt8(truncatingIfNeeded: keyID >> 8))
        bytes.append(UInt8(truncatingIfNeeded: keyID))
        bytes.append(contentsOf: signature)
        return "\u{2014} \(name) \(Base64.encode(bytes))"
    }

    /// The key ID as eight lowercase hex digits, as in verifier key strings.
    public var keyIDHex: String { NoteSignature.hex8(keyID) }

    /// Parses one signature line (without its newline).
    ///
    /// - Throws: `NoteError` saying which part is malformed: the `— ` prefix, the key name,
    ///   the base64, or a signature shorter than the 4-byte key ID plus one byte.
    public init(parsingLine line: some StringProtocol) throws(NoteError) {
        let prefix = "\u{2014} "
        guard line.hasPrefix(prefix) else {
            throw NoteError(
                "signature line does not start with an em dash (U+2014) and a space",
                hint: "signature lines have the form \"— <key name> <base64 signature>\"")
        }
        let rest = line.dropFirst(prefix.count)
        guard let space = rest.firstIndex(of: " ") else {
            throw NoteError("signature line has no space between key name and signature")
        }
        let name = rest[..<space]
        let b64 = rest[rest.index(after: space)...]
        if let problem = NoteName.problem(with: name) {
            throw NoteError("signature line: \(problem)")
        }
        guard !b64.isEmpty else { throw NoteError("signature line for \(name): signature is empty") }
        guard let bytes = Base64.decode(b64) else {
            throw NoteError("signature line for \(name): signature is not valid base64")
        }
        guard bytes.count >= 5 else {
            throw NoteError(
                "signature line for \(name): signature is \(bytes.count) bytes; "
                    + "needs a 4-byte key ID and at least one signature byte")
        }
        self.name = String(name)
        self.keyID = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
        self.signature = Array(bytes[4...])
    }

    static func hex8(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}
